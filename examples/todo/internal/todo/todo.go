// Package todo holds the UI-independent state of the Vango todo example:
// the list of items, filtering, counting and the persisted string form.
//
// It deliberately depends on nothing but a few small standard-library
// packages (no syscall/js, no fmt, no encoding/json) so that it can be unit
// tested natively and stays cheap in the WebAssembly binary.
package todo

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxTextLen is the maximum length of an item's text, in runes.
const MaxTextLen = 200

var (
	// ErrEmpty is returned by Add when the text is empty after trimming.
	ErrEmpty = errors.New("todo: empty text")
	// ErrTooLong is returned by Add when the text exceeds MaxTextLen runes.
	ErrTooLong = errors.New("todo: text too long")
)

// Item is one entry of a List. IDs are positive and unique within a list.
type Item struct {
	ID   int
	Text string
	Done bool
}

// Filter selects a subset of a List.
type Filter string

// The filters understood by List.Filter.
const (
	All    Filter = "all"
	Active Filter = "active"
	Done   Filter = "done"
)

// ParseFilter converts s into a Filter. Unknown values yield All, false.
func ParseFilter(s string) (Filter, bool) {
	switch f := Filter(s); f {
	case All, Active, Done:
		return f, true
	}
	return All, false
}

// Match reports whether it belongs to the subset selected by f.
// An unknown filter matches everything, like All.
func (f Filter) Match(it Item) bool {
	switch f {
	case Active:
		return !it.Done
	case Done:
		return it.Done
	}
	return true
}

// List is an ordered list of items. The zero value is an empty list ready
// to use. A List is not safe for concurrent use.
type List struct {
	items []Item
	last  int // highest ID ever issued; IDs are never reused
}

// normalize trims text and checks it against the item rules.
func normalize(text string) (string, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return "", ErrEmpty
	}
	if utf8.RuneCountInString(text) > MaxTextLen {
		return "", ErrTooLong
	}
	return text, nil
}

// Add appends a new open item with the trimmed text and returns it.
// Empty (or all-whitespace) and over-long texts are rejected.
func (l *List) Add(text string) (Item, error) {
	text, err := normalize(text)
	if err != nil {
		return Item{}, err
	}
	l.last++
	it := Item{ID: l.last, Text: text}
	l.items = append(l.items, it)
	return it, nil
}

func (l *List) index(id int) int {
	for i := range l.items {
		if l.items[i].ID == id {
			return i
		}
	}
	return -1
}

// Get returns the item with the given id.
func (l *List) Get(id int) (Item, bool) {
	if i := l.index(id); i >= 0 {
		return l.items[i], true
	}
	return Item{}, false
}

// Remove deletes the item with the given id and reports whether it existed.
func (l *List) Remove(id int) bool {
	i := l.index(id)
	if i < 0 {
		return false
	}
	copy(l.items[i:], l.items[i+1:])
	l.items[len(l.items)-1] = Item{} // drop the string reference
	l.items = l.items[:len(l.items)-1]
	return true
}

// Toggle flips the done state of the item with the given id and reports
// whether it existed.
func (l *List) Toggle(id int) bool {
	i := l.index(id)
	if i < 0 {
		return false
	}
	l.items[i].Done = !l.items[i].Done
	return true
}

// ClearDone removes every done item and returns how many were removed.
func (l *List) ClearDone() int {
	kept := l.items[:0]
	for _, it := range l.items {
		if !it.Done {
			kept = append(kept, it)
		}
	}
	n := len(l.items) - len(kept)
	clear(l.items[len(kept):])
	l.items = kept
	return n
}

// Len returns the number of items.
func (l *List) Len() int { return len(l.items) }

// Counts returns the number of open and done items.
func (l *List) Counts() (open, done int) {
	for _, it := range l.items {
		if it.Done {
			done++
		}
	}
	return len(l.items) - done, done
}

// Items returns a copy of all items in order.
func (l *List) Items() []Item { return l.Filter(All) }

// Filter returns a new slice with the items selected by f, in order.
func (l *List) Filter(f Filter) []Item {
	n := len(l.items)
	if f == Active || f == Done {
		open, done := l.Counts()
		n = open
		if f == Done {
			n = done
		}
	}
	return l.AppendFiltered(make([]Item, 0, n), f)
}

// AppendFiltered appends the items selected by f to dst and returns the
// extended slice; pass dst[:0] to reuse its storage across calls.
func (l *List) AppendFiltered(dst []Item, f Filter) []Item {
	for _, it := range l.items {
		if f.Match(it) {
			dst = append(dst, it)
		}
	}
	return dst
}

// Summary is the default human-readable summary for the given counts,
// e.g. "2 items left, 1 done". The web UI's JavaScript formatter
// (web/js/app.js) produces the same text.
func Summary(open, done int) string {
	if open == 0 && done == 0 {
		return "Nothing to do"
	}
	s := Pluralize(open, "item", "items") + " left"
	if done > 0 {
		s += ", " + strconv.Itoa(done) + " done"
	}
	return s
}

// Pluralize returns "1 item", "2 items", "0 items" and so on.
func Pluralize(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
