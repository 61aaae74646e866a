// UI helpers called from Go (see main.go): the Go program looks up
// globalThis.todoUI on every render and falls back to its own formatting
// when it is missing. It must return the same text as todo.Summary.
import { joinParts, pluralize } from "./format.js";

globalThis.todoUI = {
  /** formatSummary(2, 1) === "2 items left, 1 done" */
  formatSummary(open, done) {
    if (open === 0 && done === 0) return "Nothing to do";
    return joinParts(`${pluralize(open, "item")} left`, done > 0 && `${done} done`);
  },
};

// In case the Go program rendered before this module ran.
window.dispatchEvent(new Event("todoui:ready"));
