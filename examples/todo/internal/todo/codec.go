package todo

import (
	"errors"
	"strconv"
	"strings"
)

// The persisted form is a small line-based text format rather than JSON:
// encoding/json (and the reflection it drags in) roughly doubles the size
// of the WebAssembly binary, while this codec costs a few kilobytes.
//
//	v1 <last>\n                header: format version and highest ID issued
//	<id><flag> <text>\n        one line per item, in list order
//
// <id> is a positive decimal integer; IDs are strictly increasing down the
// list. <flag> is '-' for an open item and '+' for a done one. In <text> a
// backslash, newline and carriage return are written as \\, \n and \r, so
// every item fits on one line. Example:
//
//	v1 3
//	1+Buy milk
//	3-Walk the dog
//
// The empty string decodes to an empty list.

// ErrFormat is matched (via errors.Is) by every error Unmarshal returns.
var ErrFormat = errors.New("todo: malformed data")

// FormatError describes where Unmarshal found malformed data.
type FormatError struct {
	Line int // 1-based line number
	Msg  string
}

func (e *FormatError) Error() string {
	return "todo: malformed data at line " + strconv.Itoa(e.Line) + ": " + e.Msg
}

// Unwrap makes errors.Is(err, ErrFormat) true.
func (e *FormatError) Unwrap() error { return ErrFormat }

const header = "v1 "

// Marshal returns the persisted form of l (see the format above).
func (l *List) Marshal() string {
	n := len(header) + 21
	for i := range l.items {
		n += len(l.items[i].Text) + 8
	}
	var b strings.Builder
	b.Grow(n)
	var num [20]byte
	b.WriteString(header)
	b.Write(strconv.AppendInt(num[:0], int64(l.last), 10))
	b.WriteByte('\n')
	for _, it := range l.items {
		b.Write(strconv.AppendInt(num[:0], int64(it.ID), 10))
		if it.Done {
			b.WriteString("+ ")
		} else {
			b.WriteString("- ")
		}
		writeEscaped(&b, it.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

func writeEscaped(b *strings.Builder, s string) {
	start := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '\\':
			esc = `\\`
		case '\n':
			esc = `\n`
		case '\r':
			esc = `\r`
		default:
			continue
		}
		b.WriteString(s[start:i])
		b.WriteString(esc)
		start = i + 1
	}
	b.WriteString(s[start:])
}

func unescape(s string) (string, bool) {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s, true
	}
	var b strings.Builder
	b.Grow(len(s) - 1)
	for ; i >= 0; i = strings.IndexByte(s, '\\') {
		b.WriteString(s[:i])
		if i+1 >= len(s) {
			return "", false
		}
		switch s[i+1] {
		case '\\':
			b.WriteByte('\\')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			return "", false
		}
		s = s[i+2:]
	}
	b.WriteString(s)
	return b.String(), true
}

// Unmarshal parses the persisted form produced by Marshal. Item texts are
// validated like in Add. On error the returned list is nil and the error
// is a *FormatError.
func Unmarshal(s string) (*List, error) {
	l := new(List)
	if s == "" {
		return l, nil
	}
	line, rest, _ := strings.Cut(s, "\n")
	hdr, ok := strings.CutPrefix(line, header)
	if !ok {
		return nil, &FormatError{1, "missing " + strconv.Quote(header) + " header"}
	}
	last, err := strconv.Atoi(hdr)
	if err != nil || last < 0 {
		return nil, &FormatError{1, "bad last ID " + strconv.Quote(hdr)}
	}
	if rest != "" {
		l.items = make([]Item, 0, strings.Count(rest, "\n")+1)
	}
	prev := 0
	for n := 2; rest != ""; n++ {
		line, rest, _ = strings.Cut(rest, "\n")
		i := 0
		for i < len(line) && '0' <= line[i] && line[i] <= '9' {
			i++
		}
		id, err := strconv.Atoi(line[:i])
		if err != nil || id <= 0 {
			return nil, &FormatError{n, "bad item ID"}
		}
		if id <= prev {
			return nil, &FormatError{n, "item IDs not increasing"}
		}
		prev = id
		if len(line) < i+2 || line[i+1] != ' ' || (line[i] != '+' && line[i] != '-') {
			return nil, &FormatError{n, "bad item flag"}
		}
		text, ok := unescape(line[i+2:])
		if !ok {
			return nil, &FormatError{n, "bad escape sequence"}
		}
		if text, err = normalize(text); err != nil {
			return nil, &FormatError{n, err.Error()}
		}
		l.items = append(l.items, Item{ID: id, Text: text, Done: line[i] == '+'})
	}
	l.last = max(last, prev)
	return l, nil
}
