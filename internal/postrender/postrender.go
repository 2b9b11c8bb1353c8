package postrender

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Mode selects how credentials reach the selected workloads.
type Mode string

// Modes.
const (
	ModeInitContainer Mode = "init-container"
	ModeInline        Mode = "inline"
)

// Options configure Render.
type Options struct {
	Mode          Mode
	Selector      Selector
	InitContainer InitContainer // used in ModeInitContainer
	Inline        Inline        // used in ModeInline
	// AllowNone passes a stream in which nothing is selected through
	// unchanged instead of failing.
	AllowNone bool
}

// Result is a patched stream and what was patched.
type Result struct {
	Output   []byte
	Selected []string // "Kind/name" of every patched workload, in stream order
}

// ErrNothingSelected is wrapped by the error Render returns when no
// workload matched.
var ErrNothingSelected = errors.New("no workload selected")

// DocumentError is invalid YAML or an unusable workload in one document.
type DocumentError struct {
	Document string // "document 3 (chart/templates/relay.yaml)"
	Line     int    // line in the whole stream, 0 when unknown
	Err      error
}

func (e *DocumentError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s, line %d: %v", e.Document, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Document, e.Err)
}

func (e *DocumentError) Unwrap() error { return e.Err }

// yamlErrorLine finds the line number in a YAML parser message.
var yamlErrorLine = regexp.MustCompile(`^yaml: line (\d+)`)

// Render patches the selected workloads of a manifest stream. On error it
// returns no output, so a caller prints nothing.
func Render(input []byte, opts Options) (Result, error) {
	if err := opts.Selector.Compile(); err != nil {
		return Result{}, err
	}

	r := renderer{opts: opts, secretsAdded: map[string]bool{}}
	var out bytes.Buffer
	out.Grow(len(input) + len(input)/8)
	for _, doc := range splitDocuments(input) {
		if err := r.document(&out, doc); err != nil {
			return Result{}, err
		}
	}

	if len(r.selected) == 0 && !opts.AllowNone {
		return Result{}, fmt.Errorf("%w: looked for %s; pass --allow-none to pass the manifests through unchanged", ErrNothingSelected, opts.Selector.describe())
	}
	return Result{Output: out.Bytes(), Selected: r.selected}, nil
}

// renderer carries the state of one Render call.
type renderer struct {
	opts         Options
	selected     []string
	secretsAdded map[string]bool // namespaces that have their inline Secret
}

// document writes doc to out, patched when it holds a selected workload
// and byte for byte otherwise.
func (r *renderer) document(out *bytes.Buffer, doc document) error {
	if doc.isEmpty() {
		doc.writeRaw(out)
		return nil
	}
	if kind, ok := doc.topLevelKind(); ok && !mayHoldWorkload(kind) && (r.opts.Mode != ModeInline || kind != "Secret") {
		doc.writeRaw(out)
		return nil
	}

	node, err := yaml.Parse(string(doc.body))
	if err != nil {
		return parseError(doc, err)
	}
	if !isMapping(node) {
		// A scalar or a list at the root is no Kubernetes object.
		doc.writeRaw(out)
		return nil
	}
	if r.opts.Mode == ModeInline && r.opts.Inline.isGeneratedSecret(node) {
		// An earlier run's Secret; the workload it serves adds it again.
		return nil
	}

	changed, err := r.patchObject(out, doc, node)
	if err != nil {
		return err
	}
	if !changed {
		doc.writeRaw(out)
		return nil
	}
	return writeNode(out, doc, node)
}

// patchObject patches node, or the items of a List, and reports whether
// anything was selected. Inline Secrets are written to out ahead of the
// workload that needs them.
func (r *renderer) patchObject(out *bytes.Buffer, doc document, node *yaml.RNode) (bool, error) {
	if items := lookup(node, "items"); items != nil && node.GetKind() != "" && isListKind(node.GetKind()) {
		elements, _ := elementsOf(items)
		changed := false
		for _, item := range elements {
			patched, err := r.patchWorkload(out, doc, item)
			if err != nil {
				return false, err
			}
			changed = changed || patched
		}
		return changed, nil
	}
	return r.patchWorkload(out, doc, node)
}

// isMapping guards kyaml's accessors, which assume a mapping node.
func isMapping(node *yaml.RNode) bool {
	return node != nil && node.YNode() != nil && node.YNode().Kind == yaml.MappingNode
}

func isListKind(kind string) bool {
	return kind == "List" || len(kind) > 4 && kind[len(kind)-4:] == "List"
}

func (r *renderer) patchWorkload(out *bytes.Buffer, doc document, node *yaml.RNode) (bool, error) {
	if !isMapping(node) {
		return false, nil
	}
	w, err := r.opts.Selector.match(node)
	if err != nil {
		return false, &DocumentError{Document: doc.describe(), Err: err}
	}
	if w == nil {
		return false, nil
	}

	switch r.opts.Mode {
	case ModeInline:
		if err := r.addInlineSecret(out, doc, node); err != nil {
			return false, err
		}
		err = r.opts.Inline.apply(w)
	default:
		err = r.opts.InitContainer.apply(w)
	}
	if err != nil {
		return false, &DocumentError{Document: doc.describe(), Err: fmt.Errorf("%s/%s: %w", node.GetKind(), node.GetName(), err)}
	}
	r.selected = append(r.selected, node.GetKind()+"/"+node.GetName())
	return true, nil
}

// addInlineSecret writes the credentials Secret for the workload's
// namespace, once per namespace.
func (r *renderer) addInlineSecret(out *bytes.Buffer, doc document, workload *yaml.RNode) error {
	namespace := workload.GetNamespace()
	if r.secretsAdded[namespace] {
		return nil
	}
	secret, err := r.opts.Inline.secret(namespace, workload.GetAnnotations()[HelmFilenameAnnotation])
	if err != nil {
		return err
	}
	r.secretsAdded[namespace] = true
	header := []byte("---\n")
	if doc.source() != "" {
		header = []byte("---\n# Source: " + doc.source() + "\n")
	}
	return writeNode(out, document{header: header}, secret)
}

// writeNode writes the document's own header and node serialised by kyaml,
// with CRLF line ends when the original document had them.
func writeNode(out *bytes.Buffer, doc document, node *yaml.RNode) error {
	text, err := node.String()
	if err != nil {
		return &DocumentError{Document: doc.describe(), Err: fmt.Errorf("encode: %w", err)}
	}
	body := []byte(text)
	if bytes.Contains(doc.body, []byte("\r\n")) {
		body = bytes.ReplaceAll(body, []byte("\n"), []byte("\r\n"))
	}
	header := doc.header
	if len(header) == 0 && out.Len() > 0 {
		header = []byte("---\n")
	}
	out.Write(header)
	out.Write(body)
	return nil
}

// parseError turns the parser's "yaml: line N: reason" into the stream's
// line and the reason alone. The parser reports some errors, such as an
// unclosed bracket, at the line where the construct began.
func parseError(doc document, err error) error {
	line := 0
	reason := err.Error()
	if m := yamlErrorLine.FindStringSubmatchIndex(reason); m != nil {
		n, _ := strconv.Atoi(reason[m[2]:m[3]])
		line = doc.bodyLine() + n - 1
		reason = strings.TrimPrefix(strings.TrimSpace(reason[m[1]:]), ": ")
	}
	return &DocumentError{Document: doc.describe(), Line: line, Err: fmt.Errorf("invalid YAML: %s", reason)}
}
