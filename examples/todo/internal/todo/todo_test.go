package todo

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func mustAdd(t *testing.T, l *List, text string) Item {
	t.Helper()
	it, err := l.Add(text)
	if err != nil {
		t.Fatalf("Add(%q): %v", text, err)
	}
	return it
}

func ids(items []Item) []int {
	out := []int{}
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

func TestAddTrimsAndAssignsIDs(t *testing.T) {
	var l List
	a := mustAdd(t, &l, "  Buy milk \t")
	b := mustAdd(t, &l, "Walk the dog")
	if a != (Item{ID: 1, Text: "Buy milk"}) {
		t.Errorf("first item = %+v", a)
	}
	if b.ID != 2 || b.Done {
		t.Errorf("second item = %+v", b)
	}
	if l.Len() != 2 {
		t.Errorf("Len = %d, want 2", l.Len())
	}
}

func TestAddRejects(t *testing.T) {
	var l List
	for _, s := range []string{"", " ", "\t\n  \r\n"} {
		if _, err := l.Add(s); !errors.Is(err, ErrEmpty) {
			t.Errorf("Add(%q) error = %v, want ErrEmpty", s, err)
		}
	}
	long := strings.Repeat("é", MaxTextLen+1)
	if _, err := l.Add(long); !errors.Is(err, ErrTooLong) {
		t.Errorf("Add(%d runes) error = %v, want ErrTooLong", MaxTextLen+1, err)
	}
	// Exactly MaxTextLen multi-byte runes is fine: the limit is in runes.
	if _, err := l.Add(long[len("é"):]); err != nil {
		t.Errorf("Add(%d runes) error = %v", MaxTextLen, err)
	}
	if l.Len() != 1 {
		t.Errorf("Len = %d, want 1", l.Len())
	}
}

func TestIDsAreNotReused(t *testing.T) {
	var l List
	mustAdd(t, &l, "a")
	b := mustAdd(t, &l, "b")
	l.Remove(b.ID)
	if c := mustAdd(t, &l, "c"); c.ID != 3 {
		t.Errorf("ID after removing the last item = %d, want 3", c.ID)
	}
}

func TestRemove(t *testing.T) {
	var l List
	for _, s := range []string{"a", "b", "c"} {
		mustAdd(t, &l, s)
	}
	if !l.Remove(2) {
		t.Fatal("Remove(2) = false")
	}
	if l.Remove(2) {
		t.Error("second Remove(2) = true")
	}
	if l.Remove(42) || l.Remove(0) || l.Remove(-1) {
		t.Error("Remove of unknown ID = true")
	}
	if got := ids(l.Items()); !reflect.DeepEqual(got, []int{1, 3}) {
		t.Errorf("IDs = %v, want [1 3]", got)
	}
	l.Remove(1)
	l.Remove(3)
	if l.Len() != 0 {
		t.Errorf("Len = %d, want 0", l.Len())
	}
}

func TestToggleAndCounts(t *testing.T) {
	var l List
	for _, s := range []string{"a", "b", "c"} {
		mustAdd(t, &l, s)
	}
	if open, done := l.Counts(); open != 3 || done != 0 {
		t.Errorf("Counts = %d, %d; want 3, 0", open, done)
	}
	if !l.Toggle(2) || !l.Toggle(3) {
		t.Fatal("Toggle of existing item = false")
	}
	if l.Toggle(9) {
		t.Error("Toggle(9) = true")
	}
	if open, done := l.Counts(); open != 1 || done != 2 {
		t.Errorf("Counts = %d, %d; want 1, 2", open, done)
	}
	l.Toggle(3)
	if it, _ := l.Get(3); it.Done {
		t.Error("item 3 still done after second toggle")
	}
	if _, ok := l.Get(9); ok {
		t.Error("Get(9) ok")
	}
}

func TestFilter(t *testing.T) {
	var l List
	for _, s := range []string{"a", "b", "c", "d"} {
		mustAdd(t, &l, s)
	}
	l.Toggle(2)
	l.Toggle(4)
	cases := []struct {
		f    Filter
		want []int
	}{
		{All, []int{1, 2, 3, 4}},
		{Active, []int{1, 3}},
		{Done, []int{2, 4}},
		{Filter("bogus"), []int{1, 2, 3, 4}},
	}
	for _, c := range cases {
		if got := ids(l.Filter(c.f)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Filter(%q) = %v, want %v", c.f, got, c.want)
		}
	}
	// The result is a copy: changing it must not change the list.
	got := l.Filter(All)
	got[0].Text = "changed"
	if it, _ := l.Get(1); it.Text != "a" {
		t.Error("Filter result aliases the list")
	}
	// AppendFiltered reuses dst.
	buf := make([]Item, 0, 8)
	out := l.AppendFiltered(buf[:0], Done)
	if &out[0] != &buf[:1][0] {
		t.Error("AppendFiltered did not reuse dst")
	}
}

func TestParseFilter(t *testing.T) {
	for _, s := range []string{"all", "active", "done"} {
		if f, ok := ParseFilter(s); !ok || string(f) != s {
			t.Errorf("ParseFilter(%q) = %q, %v", s, f, ok)
		}
	}
	for _, s := range []string{"", "Done", "x"} {
		if f, ok := ParseFilter(s); ok || f != All {
			t.Errorf("ParseFilter(%q) = %q, %v; want all, false", s, f, ok)
		}
	}
}

func TestClearDone(t *testing.T) {
	var l List
	for _, s := range []string{"a", "b", "c"} {
		mustAdd(t, &l, s)
	}
	l.Toggle(1)
	l.Toggle(3)
	if n := l.ClearDone(); n != 2 {
		t.Errorf("ClearDone = %d, want 2", n)
	}
	if got := ids(l.Items()); !reflect.DeepEqual(got, []int{2}) {
		t.Errorf("IDs = %v, want [2]", got)
	}
	if n := l.ClearDone(); n != 0 {
		t.Errorf("second ClearDone = %d, want 0", n)
	}
}

func TestSummary(t *testing.T) {
	cases := []struct {
		open, done int
		want       string
	}{
		{0, 0, "Nothing to do"},
		{1, 0, "1 item left"},
		{2, 0, "2 items left"},
		{0, 1, "0 items left, 1 done"},
		{1, 3, "1 item left, 3 done"},
	}
	for _, c := range cases {
		if got := Summary(c.open, c.done); got != c.want {
			t.Errorf("Summary(%d, %d) = %q, want %q", c.open, c.done, got, c.want)
		}
	}
}

func TestMarshalFormat(t *testing.T) {
	var l List
	mustAdd(t, &l, "Buy milk")
	mustAdd(t, &l, "gone")
	mustAdd(t, &l, "Walk the dog")
	l.Toggle(1)
	l.Remove(2)
	want := "v1 3\n1+ Buy milk\n3- Walk the dog\n"
	if got := l.Marshal(); got != want {
		t.Errorf("Marshal = %q, want %q", got, want)
	}
	var empty List
	if got := empty.Marshal(); got != "v1 0\n" {
		t.Errorf("empty Marshal = %q", got)
	}
}

func TestRoundTrip(t *testing.T) {
	var l List
	texts := []string{
		"plain",
		`back\slash \n not a newline`,
		"multi\nline\r\ntext",
		"trailing backslash \\",
		"unicode: héllo wörld ✓ 日本語 🎉",
		`"quotes" and 'apostrophes' <b>&amp;</b>`,
		"1+ looks like a line",
		"v1 99",
	}
	for _, s := range texts {
		mustAdd(t, &l, s)
	}
	l.Toggle(2)
	l.Toggle(5)
	l.Remove(1)
	data := l.Marshal()
	if n := strings.Count(data, "\n"); n != len(texts) { // header + items - 1 removed
		t.Errorf("Marshal produced %d lines, want %d:\n%s", n, len(texts), data)
	}
	got, err := Unmarshal(data)
	if err != nil {
		t.Fatalf("Unmarshal: %v\n%s", err, data)
	}
	if !reflect.DeepEqual(got.Items(), l.Items()) {
		t.Errorf("round trip mismatch:\n got %+v\nwant %+v", got.Items(), l.Items())
	}
	if got.Marshal() != data {
		t.Error("Marshal(Unmarshal(x)) != x")
	}
	// The highest issued ID survives, so IDs of removed items stay unused.
	got.Remove(len(texts))
	if it := mustAdd(t, got, "next"); it.ID != len(texts)+1 {
		t.Errorf("ID after round trip = %d, want %d", it.ID, len(texts)+1)
	}
}

func TestUnmarshalEmpty(t *testing.T) {
	for _, s := range []string{"", "v1 0", "v1 0\n"} {
		l, err := Unmarshal(s)
		if err != nil || l == nil || l.Len() != 0 {
			t.Errorf("Unmarshal(%q) = %v, %v", s, l, err)
		}
	}
	l, _ := Unmarshal("v1 7\n")
	if it := mustAdd(t, l, "x"); it.ID != 8 {
		t.Errorf("ID = %d, want 8", it.ID)
	}
}

func TestUnmarshalLenient(t *testing.T) {
	// No trailing newline, last ID lower than the items' (repaired), text
	// with surrounding spaces (trimmed like Add does).
	l, err := Unmarshal("v1 1\n2+ a\n5-   b  ")
	if err != nil {
		t.Fatal(err)
	}
	want := []Item{{2, "a", true}, {5, "b", false}}
	if !reflect.DeepEqual(l.Items(), want) {
		t.Errorf("items = %+v, want %+v", l.Items(), want)
	}
	if it := mustAdd(t, l, "c"); it.ID != 6 {
		t.Errorf("ID = %d, want 6", it.ID)
	}
}

func TestUnmarshalErrors(t *testing.T) {
	cases := []struct {
		in   string
		line int
	}{
		{"[]", 1},
		{`{"items":[]}`, 1},
		{"v2 0\n", 1},
		{"v1\n", 1},
		{"v1 x\n", 1},
		{"v1 -1\n", 1},
		{"v1 3\n\n", 2},
		{"v1 3\n1+ a\n\n", 3},
		{"v1 3\n+ a\n", 2},
		{"v1 3\n0- a\n", 2},
		{"v1 3\n1* a\n", 2},
		{"v1 3\n1+a\n", 2},
		{"v1 3\n1+\n", 2},
		{"v1 3\n1+ \n", 2},
		{"v1 3\n1+ a\n1- b\n", 3},
		{"v1 3\n2+ a\n1- b\n", 3},
		{"v1 3\n1+ bad \\x escape\n", 2},
		{"v1 3\n1+ dangling \\\n", 2},
		{"v1 3\n99999999999999999999999+ a\n", 2},
		{"v1 3\n1+ " + strings.Repeat("x", MaxTextLen+1) + "\n", 2},
	}
	for _, c := range cases {
		l, err := Unmarshal(c.in)
		if err == nil {
			t.Errorf("Unmarshal(%q) = %+v, want error", c.in, l.Items())
			continue
		}
		if l != nil {
			t.Errorf("Unmarshal(%q) returned a list with the error", c.in)
		}
		var fe *FormatError
		if !errors.As(err, &fe) || !errors.Is(err, ErrFormat) {
			t.Errorf("Unmarshal(%q) error %v is not a *FormatError/ErrFormat", c.in, err)
			continue
		}
		if fe.Line != c.line {
			t.Errorf("Unmarshal(%q) error at line %d, want %d (%v)", c.in, fe.Line, c.line, err)
		}
	}
}

func TestZeroListIsUsable(t *testing.T) {
	var l List
	if l.Len() != 0 || len(l.Items()) != 0 || len(l.Filter(Done)) != 0 {
		t.Error("zero List is not empty")
	}
	if l.Remove(1) || l.Toggle(1) || l.ClearDone() != 0 {
		t.Error("mutating an empty list reported success")
	}
}
