// Small text helpers for the Vango todo example.

/** pluralize(1, "item") === "1 item"; pluralize(3, "item") === "3 items". */
export function pluralize(n, one, many = one + "s") {
  return `${n} ${n === 1 ? one : many}`;
}

/** Joins the non-empty parts with ", ". */
export function joinParts(...parts) {
  return parts.filter(Boolean).join(", ");
}
