package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
)

// seedDocument is the format of the --seed file. Value is the string stored
// as the object's value, such as a credentials document encoded as a JSON
// string.
type seedDocument struct {
	Objects []seedObject `json:"objects"`
}

type seedObject struct {
	Name  *string `json:"name"`
	Value *string `json:"value"`
}

// loadSeed reads and checks a --seed file. Errors name the file and the
// problem but never quote the file's content, which contains secrets.
func loadSeed(path string) ([]seedObject, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("read seed file: %w", err)
	}

	var document seedDocument
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&document); err != nil {
		return nil, usageErrorf("seed file %s: %s", path, describeSeedError(err))
	}

	names := make(map[string]int, len(document.Objects))
	for i, object := range document.Objects {
		switch {
		case object.Name == nil || *object.Name == "":
			return nil, usageErrorf("seed file %s: objects[%d] has no name", path, i)
		case object.Value == nil:
			return nil, usageErrorf("seed file %s: objects[%d] (%q) has no value", path, i, *object.Name)
		}
		if first, seen := names[*object.Name]; seen {
			return nil, usageErrorf("seed file %s: objects[%d] repeats the name %q of objects[%d]", path, i, *object.Name, first)
		}
		names[*object.Name] = i
	}
	return document.Objects, nil
}

// describeSeedError explains a decoding error without the input text, which
// encoding/json quotes in syntax errors.
func describeSeedError(err error) string {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return `file is empty, expected {"objects": [...]}`
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "invalid JSON (the file ends inside a value)"
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("invalid JSON (syntax error at byte offset %d)", syntaxErr.Offset)
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return fmt.Sprintf(`the file is a JSON %s, expected an object {"objects": [...]}`, typeErr.Value)
	case errors.As(err, &typeErr):
		return fmt.Sprintf("field %s is a JSON %s, expected %s", typeErr.Field, typeErr.Value, describeJSONKind(typeErr.Type))
	default:
		// Unknown fields end up here. Their names are not secret.
		return err.Error()
	}
}

// describeJSONKind names the JSON value that decodes into t.
func describeJSONKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	default:
		return "a " + t.Kind().String()
	}
}
