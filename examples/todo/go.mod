module example.com/vango/todo

go 1.24
