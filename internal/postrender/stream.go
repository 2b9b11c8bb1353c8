package postrender

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
)

// document is one document of the input stream, as its exact bytes.
type document struct {
	index     int    // 1-based position in the stream
	startLine int    // 1-based line of the document's first byte
	header    []byte // the "---" marker line and the comment lines after it
	body      []byte // everything after the header
}

// raw returns the document's bytes as they were read.
func (d document) raw() []byte { return append(append([]byte{}, d.header...), d.body...) }

// writeRaw writes the document's bytes as they were read, without the copy
// raw makes.
func (d document) writeRaw(out *bytes.Buffer) {
	out.Write(d.header)
	out.Write(d.body)
}

// source returns the "# Source:" path Helm 3 puts in the header, if any.
func (d document) source() string {
	if m := sourceComment.FindSubmatch(d.header); m != nil {
		return string(m[1])
	}
	return ""
}

// describe names the document in messages: its position and, when Helm
// gave one, the template it came from.
func (d document) describe() string {
	if src := d.source(); src != "" {
		return fmt.Sprintf("document %d (%s)", d.index, src)
	}
	return "document " + strconv.Itoa(d.index)
}

var (
	sourceComment = regexp.MustCompile(`(?m)^# Source: (.+?)\r?$`)
	// kindLine finds a block-style document's top-level kind: a key at
	// column 0 can only belong to the root mapping.
	kindLine = regexp.MustCompile(`(?m)^kind:[ \t]*["']?([A-Za-z0-9]+)["']?[ \t]*(?:#.*)?\r?$`)
)

// splitDocuments cuts a stream at document start markers. Each document
// keeps its marker line and the comment lines that follow it in header, so
// that writing header and body back reproduces the input exactly.
func splitDocuments(stream []byte) []document {
	// Every marker but the first follows a line end, so this capacity
	// avoids growing the slice for any stream.
	docs := make([]document, 0, bytes.Count(stream, []byte("\n---"))+1)
	start, line, startLine := 0, 1, 1
	for pos := 0; pos < len(stream); {
		end := bytes.IndexByte(stream[pos:], '\n')
		next := len(stream)
		if end >= 0 {
			next = pos + end + 1
		}
		if pos > start && isDocumentMarker(stream[pos:next]) {
			docs = append(docs, newDocument(len(docs)+1, startLine, stream[start:pos]))
			start, startLine = pos, line
		}
		pos = next
		line++
	}
	if start < len(stream) || len(docs) == 0 {
		docs = append(docs, newDocument(len(docs)+1, startLine, stream[start:]))
	}
	return docs
}

// isDocumentMarker reports whether line starts a document: "---" at column
// 0 followed by the end of the line, a space or a tab.
func isDocumentMarker(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := line[3:]
	return len(rest) == 0 || rest[0] == '\n' || rest[0] == '\r' || rest[0] == ' ' || rest[0] == '\t'
}

func newDocument(index, startLine int, data []byte) document {
	headerEnd := 0
	for pos := 0; pos < len(data); {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end >= 0 {
			next = pos + end + 1
		}
		line := bytes.TrimRight(data[pos:next], "\r\n")
		isMarker := pos == 0 && isDocumentMarker(data[pos:next]) && len(bytes.TrimSpace(line[3:])) == 0
		if !isMarker && !bytes.HasPrefix(line, []byte("#")) && len(bytes.TrimSpace(line)) != 0 {
			break
		}
		pos = next
		headerEnd = pos
	}
	return document{index: index, startLine: startLine, header: data[:headerEnd], body: data[headerEnd:]}
}

// bodyLine is the stream line of the document body's first byte.
func (d document) bodyLine() int { return d.startLine + bytes.Count(d.header, []byte("\n")) }

// isEmpty reports whether the document holds nothing but comments and
// blank lines.
func (d document) isEmpty() bool { return len(bytes.TrimSpace(d.body)) == 0 }

// topLevelKind returns the kind of a block-style document without parsing
// it, and false when the document has no kind line at column 0 (a
// flow-style document, or an unusual layout), which must then be parsed.
func (d document) topLevelKind() (string, bool) {
	// kindLine matches within one line, so trying it on each line that
	// starts with "kind:" finds its first match in the body. bytes.Index
	// finds those lines much faster than the regular expression does.
	for pos := 0; pos < len(d.body); {
		start := 0
		if pos > 0 || !bytes.HasPrefix(d.body, []byte("kind:")) {
			i := bytes.Index(d.body[pos:], []byte("\nkind:"))
			if i < 0 {
				break
			}
			start = pos + i + 1
		}
		line := d.body[start:]
		if end := bytes.IndexByte(line, '\n'); end >= 0 {
			line = line[:end]
		}
		if m := kindLine.FindSubmatch(line); m != nil {
			return string(m[1]), true
		}
		pos = start + len(line)
	}
	return "", false
}
