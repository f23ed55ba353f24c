package main

import (
	"encoding"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/entpipe/entpipe/collector"
)

// nodeDecoder decodes a YAML node tree into a Go value field by field, so
// that one pass reports every unknown or repeated key and every value that
// does not fit its field, each with its YAML path and line, and keeps every
// value that fits: the semantic checks then run on the rest of the file.
// yaml.v3's strict decoding (KnownFields) also reports every unknown key
// and misfit value at once, but by line and Go type only ("line 3: field q
// not found in type main.inner", "cannot unmarshal !!int `5` into
// time.Duration"), where problems are named by YAML path (`sources[1]
// "oze78": entlog.paths`) and say what to write ("5 has no unit: write 5s,
// 5m or 5h"); and a repeated key makes it report that key alone and decode
// nothing. It follows yaml.v3's rules: `yaml:"name"` tags, lowercased
// field names, `,inline` structs, null leaves the zero value, `<<` merges
// mappings, a type with its own UnmarshalYAML or UnmarshalText decodes
// itself.
type nodeDecoder struct {
	// failed holds the paths whose value was not decoded: the semantic
	// checks' problems below them repeat what was said.
	failed []string
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	sourceType   = reflect.TypeFor[SourceConfig]()
)

// decodesItself reports whether yaml.v3 would decode a t through the
// type's own method rather than field by field.
func decodesItself(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return pt.Implements(reflect.TypeFor[yaml.Unmarshaler]()) || pt.Implements(reflect.TypeFor[encoding.TextUnmarshaler]())
}

// decode decodes n into v, which must be settable.
func (d *nodeDecoder) decode(n *yaml.Node, v reflect.Value, p collector.Problems) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind == 0 || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return
	}
	t := v.Type()
	switch {
	case decodesItself(t):
		d.scalar(n, v, p)
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.decode(n, v.Elem(), p)
	case t.Kind() == reflect.Struct:
		d.mapping(n, v, p)
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		d.sequence(n, v, p)
	default:
		d.scalar(n, v, p)
	}
}

// mapping decodes a mapping into the struct v.
func (d *nodeDecoder) mapping(n *yaml.Node, v reflect.Value, p collector.Problems) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, p, "want a mapping (key: value), got %s", describe(n))
		return
	}
	fields := yamlFields(v.Type())
	seen := map[string]int{}
	for _, kv := range pairs(n) {
		key, val := kv[0], kv[1]
		kp := p.At(key.Value)
		if line, dup := seen[key.Value]; dup {
			kp.Addf("repeated key (line %d, first at line %d)", key.Line, line)
			continue
		}
		seen[key.Value] = key.Line
		index, ok := fields[key.Value]
		if !ok {
			kp.Addf("unknown key (line %d)", key.Line)
			continue
		}
		d.decode(val, v.FieldByIndex(index), kp)
	}
}

// pairs returns the key, value pairs of a mapping with merged mappings
// (`<<: *defaults`, or a list of them) expanded before the keys that
// override them, as YAML merge keys mean.
func pairs(n *yaml.Node) [][2]*yaml.Node {
	var merged, own [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if key.ShortTag() != "!!merge" {
			own = append(own, [2]*yaml.Node{key, val})
			continue
		}
		if val.Kind == yaml.AliasNode {
			val = val.Alias
		}
		sources := []*yaml.Node{val}
		if val.Kind == yaml.SequenceNode {
			sources = val.Content
		}
		for _, src := range sources {
			if src.Kind == yaml.AliasNode {
				src = src.Alias
			}
			if src.Kind == yaml.MappingNode {
				merged = append(merged, pairs(src)...)
			}
		}
	}
	// An own key replaces a merged one; it is not a repetition.
	keep := merged[:0]
	for _, m := range merged {
		overridden := false
		for _, o := range own {
			overridden = overridden || o[0].Value == m[0].Value
		}
		if !overridden {
			keep = append(keep, m)
		}
	}
	return append(keep, own...)
}

// sequence decodes a list of mappings into the slice v. Items of
// `sources:` are named the way Config.validate names them.
func (d *nodeDecoder) sequence(n *yaml.Node, v reflect.Value, p collector.Problems) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, p, "want a list, got %s", describe(n))
		return
	}
	items := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		segment := fmt.Sprintf("[%d]", i)
		if v.Type().Elem() == sourceType {
			segment = sourceSegment(i, nameOf(item))
		}
		d.decode(item, items.Index(i), p.At(segment))
	}
	v.Set(items)
}

// sourceSegment names item i of `sources:` in problems: `[1] "oze78":`.
func sourceSegment(i int, name string) string { return fmt.Sprintf("[%d] %q:", i, name) }

// nameOf returns the `name:` of a mapping, or "".
func nameOf(n *yaml.Node) string {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for _, kv := range pairs(n) {
		if kv[0].Value == "name" && kv[1].Kind == yaml.ScalarNode {
			return kv[1].Value
		}
	}
	return ""
}

// scalar decodes a value that yaml.v3 decodes whole (numbers, strings,
// durations, lists of them, maps) into v.
func (d *nodeDecoder) scalar(n *yaml.Node, v reflect.Value, p collector.Problems) {
	ptr := reflect.New(v.Type())
	err := n.Decode(ptr.Interface())
	switch {
	case err == nil:
		v.Set(ptr.Elem())
	case v.Type() == durationType && n.ShortTag() == "!!int":
		d.fail(n, p, "%s has no unit: write %ss, %sm or %sh", n.Value, n.Value, n.Value, n.Value)
	case n.Kind == yaml.ScalarNode && !slices.Contains([]reflect.Kind{reflect.Slice, reflect.Array, reflect.Map, reflect.Struct}, v.Kind()):
		d.fail(n, p, "%s is not %s", strconv.Quote(n.Value), want(v.Type()))
	default:
		d.fail(n, p, "want %s, got %s", want(v.Type()), describe(n))
	}
}

// fail records that the value at p, on node n's line, was not decoded.
func (d *nodeDecoder) fail(n *yaml.Node, p collector.Problems, format string, args ...any) {
	p.Addf("%s (line %d)", fmt.Sprintf(format, args...), n.Line)
	d.failed = append(d.failed, p.Path())
}

// repeats reports whether msg, a semantic check's problem, is about a path
// whose value was not decoded (and so was judged on its zero value).
func (d *nodeDecoder) repeats(msg string) bool {
	for _, path := range d.failed {
		if path == "" { // the whole file did not decode
			return true
		}
		if rest, ok := strings.CutPrefix(msg, path); ok && rest != "" && strings.ContainsRune(":.[ ", rune(rest[0])) {
			return true
		}
	}
	return false
}

// yamlFields maps the keys of struct type t to their field index, the way
// yaml.v3 does.
func yamlFields(t reflect.Type) map[string][]int {
	fields := map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case strings.Contains(opts, "inline"):
			for key, index := range yamlFields(f.Type) {
				fields[key] = append([]int{i}, index...)
			}
		case name == "":
			fields[strings.ToLower(f.Name)] = []int{i}
		default:
			fields[name] = []int{i}
		}
	}
	return fields
}

// want names what a value of type t is written as.
func want(t reflect.Type) string {
	if t == durationType {
		return "a duration such as 30s, 5m or 1h"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map:
		return "a mapping (key: value)"
	}
	return t.String()
}

// describe names what a node holds.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}
