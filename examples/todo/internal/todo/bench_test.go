package todo

import (
	"strconv"
	"testing"
)

const benchN = 1000

// benchList returns a list of n items, every third one done, with texts of
// realistic length (some needing escapes in the persisted form).
func benchList(b *testing.B, n int) *List {
	b.Helper()
	l := new(List)
	for i := range n {
		text := "Task number " + strconv.Itoa(i) + ": water the plants and call back"
		if i%10 == 0 {
			text += ` (see C:\notes)`
		}
		if _, err := l.Add(text); err != nil {
			b.Fatal(err)
		}
		if i%3 == 0 {
			l.Toggle(i + 1)
		}
	}
	return l
}

func BenchmarkAdd(b *testing.B) {
	b.ReportAllocs()
	l := new(List)
	for i := 0; b.Loop(); i++ {
		if i%benchN == 0 {
			l = new(List) // keep the list at a realistic size
		}
		if _, err := l.Add("  Buy milk and eggs  "); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToggle(b *testing.B) {
	l := benchList(b, benchN)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		l.Toggle(i%benchN + 1) // linear search: average case
	}
}

func BenchmarkCounts(b *testing.B) {
	l := benchList(b, benchN)
	b.ReportAllocs()
	for b.Loop() {
		open, done := l.Counts()
		if open+done != benchN {
			b.Fatal("bad counts")
		}
	}
}

func BenchmarkFilter(b *testing.B) {
	l := benchList(b, benchN)
	for _, f := range []Filter{All, Active, Done} {
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if len(l.Filter(f)) == 0 {
					b.Fatal("empty result")
				}
			}
		})
	}
}

// BenchmarkAppendFiltered is what the UI does on every render: filtering
// into a reused buffer, which should not allocate.
func BenchmarkAppendFiltered(b *testing.B) {
	l := benchList(b, benchN)
	var buf []Item
	b.ReportAllocs()
	for b.Loop() {
		buf = l.AppendFiltered(buf[:0], Active)
	}
}

func BenchmarkMarshal(b *testing.B) {
	l := benchList(b, benchN)
	b.SetBytes(int64(len(l.Marshal())))
	b.ReportAllocs()
	for b.Loop() {
		_ = l.Marshal()
	}
}

func BenchmarkUnmarshal(b *testing.B) {
	data := benchList(b, benchN).Marshal()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Unmarshal(data); err != nil {
			b.Fatal(err)
		}
	}
}
