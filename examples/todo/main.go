//go:build js && wasm

// Command todo is the example app bundled with Vango: a todo list written
// in Go, compiled to WebAssembly and rendered with syscall/js into
// <main id="app">. The list is persisted in localStorage.
package main

import (
	"strconv"
	"syscall/js"

	"example.com/vango/todo/internal/todo"
)

const storageKey = "vango-todo/v1"

// skeleton is the static part of the UI. It contains no user data; item
// texts only ever reach the DOM through textContent. (The input's
// maxlength counts UTF-16 code units, so it never lets through more runes
// than todo.MaxTextLen.)
var skeleton = `<form id="new-todo-form" class="new-todo" autocomplete="off">` +
	`<input id="new-todo" type="text" placeholder="What needs doing?" aria-label="New todo" maxlength="` + strconv.Itoa(todo.MaxTextLen) + `" enterkeyhint="done">` +
	`<button id="add-todo" type="submit">Add</button>` +
	`</form>` +
	`<ul id="todo-list" aria-label="Todos"></ul>` +
	`<footer class="todo-footer">` +
	`<span id="todo-count" role="status" aria-live="polite"></span>` +
	`<div class="filters" role="group" aria-label="Show">` +
	`<button type="button" data-filter="all">All</button>` +
	`<button type="button" data-filter="active">Active</button>` +
	`<button type="button" data-filter="done">Done</button>` +
	`</div>` +
	`<button type="button" id="clear-done">Clear done</button>` +
	`</footer>` +
	`<template id="todo-row"><li class="todo-item">` +
	`<input class="toggle" type="checkbox"><span class="label"></span>` +
	`<button type="button" class="remove">×</button>` +
	`</li></template>`

var filters = [...]todo.Filter{todo.All, todo.Active, todo.Done}

// row is the DOM of one rendered item plus what it currently shows.
type row struct {
	li, toggle, label, remove js.Value
	text                      string
	done                      bool
	gen                       uint
}

type app struct {
	list   *todo.List
	filter todo.Filter

	input, ul, count, clearDone, rowTpl js.Value
	filterBtns                          [len(filters)]js.Value

	rows    map[int]*row
	visible []todo.Item // items currently shown, in order (reused buffer)
	gen     uint
}

func main() {
	waitForDOM()
	root := document.Call("getElementById", "app")
	if root.IsNull() {
		global.Get("console").Call("error", `vango-todo: no <main id="app"> to render into`)
		return
	}
	a := &app{list: load(), filter: todo.All, rows: map[int]*row{}}
	a.mount(root)
	a.render()

	// Tell the page (and the pipeline's browser tests) that we are live.
	document.Get("documentElement").Get("dataset").Set("vangoReady", "true")
	global.Call("dispatchEvent", global.Get("Event").New("vango:ready"))

	select {} // keep the Go runtime alive for the event callbacks
}

func (a *app) mount(root js.Value) {
	root.Set("innerHTML", skeleton)
	q := func(sel string) js.Value { return root.Call("querySelector", sel) }
	a.input = q("#new-todo")
	a.ul = q("#todo-list")
	a.count = q("#todo-count")
	a.clearDone = q("#clear-done")
	a.rowTpl = q("#todo-row").Get("content").Get("firstElementChild")
	for i, f := range filters {
		a.filterBtns[i] = q(`button[data-filter="` + string(f) + `"]`)
	}

	// Submitting the form covers both the #add-todo button and Enter.
	listen(q("#new-todo-form"), "submit", func(ev js.Value) {
		ev.Call("preventDefault")
		if _, err := a.list.Add(a.input.Get("value").String()); err != nil {
			a.input.Call("focus")
			return
		}
		a.input.Set("value", "")
		a.changed()
	})
	// One delegated listener per event type for all rows.
	listen(a.ul, "change", func(ev js.Value) {
		if cb := closest(ev, "input.toggle"); !cb.IsNull() {
			if a.list.Toggle(rowID(cb)) {
				a.changed()
			}
		}
	})
	listen(a.ul, "click", func(ev js.Value) {
		if btn := closest(ev, "button.remove"); !btn.IsNull() {
			if a.list.Remove(rowID(btn)) {
				a.changed()
			}
		}
	})
	listen(q(".todo-footer"), "click", func(ev js.Value) {
		if btn := closest(ev, "button[data-filter]"); !btn.IsNull() {
			if f, ok := todo.ParseFilter(btn.Get("dataset").Get("filter").String()); ok && f != a.filter {
				a.filter = f
				a.render()
			}
		} else if !closest(ev, "#clear-done").IsNull() {
			if a.list.ClearDone() > 0 {
				a.changed()
			}
		}
	})
	// Another tab changed the list: follow it (without writing it back).
	listen(global, "storage", func(ev js.Value) {
		if ev.Get("key").String() != storageKey {
			return
		}
		data := ""
		if v := ev.Get("newValue"); v.Type() == js.TypeString {
			data = v.String()
		}
		if l, err := todo.Unmarshal(data); err == nil {
			a.list = l
			a.render()
		}
	})
	// The summary comes from the ES module (web/js/app.js). If it has not
	// run yet, re-render once it announces itself.
	if !hasTodoUI() {
		once(global, "todoui:ready", func(js.Value) { a.render() })
	}
}

// rowID returns the item ID stored on the row element containing el.
func rowID(el js.Value) int {
	li := el.Call("closest", "li.todo-item")
	if li.IsNull() {
		return 0
	}
	id, _ := strconv.Atoi(li.Get("dataset").Get("id").String())
	return id
}

// changed persists the list and re-renders it.
func (a *app) changed() {
	save(a.list.Marshal())
	a.render()
}

// render brings the DOM in line with the list and filter. Rows are keyed
// by item ID and only touched when they change, so focus and checkbox
// state survive re-rendering.
func (a *app) render() {
	// Where was keyboard focus? If its row disappears, we move it nearby.
	focusIdx, focusSel := -1, ""
	if active := document.Get("activeElement"); !active.IsNull() && a.ul.Call("contains", active).Bool() {
		id := rowID(active)
		for i, it := range a.visible {
			if it.ID == id {
				focusIdx = i
			}
		}
		focusSel = "input.toggle"
		if active.Get("classList").Call("contains", "remove").Bool() {
			focusSel = "button.remove"
		}
	}

	a.gen++
	a.visible = a.list.AppendFiltered(a.visible[:0], a.filter)
	for _, it := range a.visible {
		r := a.rows[it.ID]
		if r == nil {
			r = a.newRow(it)
			a.rows[it.ID] = r
		}
		r.update(it)
		r.gen = a.gen
	}
	for id, r := range a.rows {
		if r.gen != a.gen {
			r.li.Call("remove")
			delete(a.rows, id)
		}
	}
	next := a.ul.Get("firstElementChild")
	for _, it := range a.visible {
		li := a.rows[it.ID].li
		if li.Equal(next) {
			next = next.Get("nextElementSibling")
		} else {
			a.ul.Call("insertBefore", li, next)
		}
	}

	if focusIdx >= 0 && !a.ul.Call("contains", document.Get("activeElement")).Bool() {
		if len(a.visible) == 0 {
			a.input.Call("focus")
		} else {
			r := a.rows[a.visible[min(focusIdx, len(a.visible)-1)].ID]
			r.li.Call("querySelector", focusSel).Call("focus")
		}
	}

	open, done := a.list.Counts()
	a.count.Set("textContent", summary(open, done))
	a.clearDone.Set("hidden", done == 0)
	for i, f := range filters {
		sel := f == a.filter
		a.filterBtns[i].Get("classList").Call("toggle", "selected", sel)
		a.filterBtns[i].Call("setAttribute", "aria-pressed", strconv.FormatBool(sel))
	}
}

func (a *app) newRow(it todo.Item) *row {
	li := a.rowTpl.Call("cloneNode", true)
	li.Get("dataset").Set("id", strconv.Itoa(it.ID))
	kids := li.Get("children")
	r := &row{li: li, toggle: kids.Index(0), label: kids.Index(1), remove: kids.Index(2)}
	labelID := "todo-label-" + strconv.Itoa(it.ID)
	r.label.Set("id", labelID)
	r.toggle.Call("setAttribute", "aria-labelledby", labelID)
	r.done = !it.Done // force the first update to write the state
	return r
}

func (r *row) update(it todo.Item) {
	if r.text != it.Text {
		r.text = it.Text
		r.label.Set("textContent", it.Text)
		r.remove.Call("setAttribute", "aria-label", "Remove “"+it.Text+"”")
	}
	if r.done != it.Done {
		r.done = it.Done
		r.li.Get("classList").Call("toggle", "done", it.Done)
		r.toggle.Set("checked", it.Done)
	}
}

func hasTodoUI() bool {
	ui := global.Get("todoUI")
	return ui.Type() == js.TypeObject && ui.Get("formatSummary").Type() == js.TypeFunction
}

// summary asks globalThis.todoUI.formatSummary(open, done) for the summary
// text and falls back to todo.Summary when it is missing or misbehaves.
func summary(open, done int) string {
	s := ""
	if hasTodoUI() {
		try("todoUI.formatSummary", func() {
			if v := global.Get("todoUI").Call("formatSummary", open, done); v.Type() == js.TypeString {
				s = v.String()
			}
		})
	}
	if s == "" {
		s = todo.Summary(open, done)
	}
	return s
}

// load restores the list from localStorage. Unreadable or malformed data
// yields an empty list (and a console warning); it is only overwritten
// once the user changes something.
func load() *todo.List {
	data := ""
	try("reading localStorage", func() {
		if v := global.Get("localStorage").Call("getItem", storageKey); v.Type() == js.TypeString {
			data = v.String()
		}
	})
	l, err := todo.Unmarshal(data)
	if err != nil {
		warn("vango-todo: ignoring stored list: " + err.Error())
		return new(todo.List)
	}
	return l
}

func save(data string) {
	try("writing localStorage", func() {
		global.Get("localStorage").Call("setItem", storageKey, data)
	})
}
