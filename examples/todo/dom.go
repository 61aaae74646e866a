//go:build js && wasm

package main

import "syscall/js"

// Small helpers over syscall/js. Calls into JavaScript that may throw (and
// thereby panic in Go) are wrapped so one failing browser API cannot take
// the whole program down.

var (
	global   = js.Global()
	document = global.Get("document")
)

// listen adds an event listener that lives as long as the page. The UI
// registers a fixed handful of these (it uses event delegation, so
// re-rendering never creates callbacks); they are never removed, so they
// are never released either.
func listen(target js.Value, event string, fn func(ev js.Value)) {
	f := js.FuncOf(func(_ js.Value, args []js.Value) any {
		fn(args[0])
		return nil
	})
	target.Call("addEventListener", event, f)
}

// once adds a listener that runs at most once and then releases its
// js.Func, since the browser will never call it again.
func once(target js.Value, event string, fn func(ev js.Value)) {
	var f js.Func
	f = js.FuncOf(func(_ js.Value, args []js.Value) any {
		f.Release() // allowed while the function is running
		fn(args[0])
		return nil
	})
	opts := global.Get("Object").New()
	opts.Set("once", true)
	target.Call("addEventListener", event, f, opts)
}

// waitForDOM blocks until the document has been parsed, so that the mount
// point exists even if the loader started the program early.
func waitForDOM() {
	if document.Get("readyState").String() != "loading" {
		return
	}
	done := make(chan struct{})
	once(document, "DOMContentLoaded", func(js.Value) { close(done) })
	<-done
}

// try runs fn and turns a panic (typically a JavaScript exception such as
// a SecurityError from localStorage) into a console warning.
func try(what string, fn func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			msg := "?"
			switch e := r.(type) {
			case error:
				msg = e.Error()
			case string:
				msg = e
			}
			warn("vango-todo: " + what + " failed: " + msg)
			ok = false
		}
	}()
	fn()
	return true
}

func warn(msg string) { global.Get("console").Call("warn", msg) }

// closest returns the nearest ancestor-or-self of the event target that
// matches selector, or a null Value.
func closest(ev js.Value, selector string) js.Value {
	t := ev.Get("target")
	if t.Type() != js.TypeObject || t.Get("closest").Type() != js.TypeFunction {
		return js.Null()
	}
	return t.Call("closest", selector)
}
