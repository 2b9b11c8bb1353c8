package fake

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Control API paths. They need the same bearer key as the Vault API and are
// never subject to faults.
const (
	controlFaultsPath = controlPrefix + "faults"
	controlStatsPath  = controlPrefix + "stats"
)

// serveControl handles the control API:
//
//	GET /_fake/faults   the active faults, with the unused part of status_sequence
//	PUT /_fake/faults   replace the faults with the JSON body (see Faults.UnmarshalJSON)
//	GET /_fake/stats    the request counters
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request, path string) {
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}

	switch path {
	case controlFaultsPath:
		s.controlFaults(w, r)
	case controlStatsPath:
		if r.Method != http.MethodGet {
			writeMethodNotAllowed(w, http.MethodGet)
			return
		}
		writeJSON(w, http.StatusOK, s.Stats())
	default:
		writeNotFound(w, path)
	}
}

func (s *Server) controlFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, s.activeFaults())
	case http.MethodPut:
		s.replaceFaults(w, r)
	default:
		writeMethodNotAllowed(w, http.MethodGet, http.MethodPut)
	}
}

func (s *Server) replaceFaults(w http.ResponseWriter, r *http.Request) {
	var faults Faults
	err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody)).Decode(&faults)
	if err != nil {
		writeError(w, http.StatusBadRequest, describeFaultsError(err))
		return
	}
	if err := s.SetFaults(faults); err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, s.activeFaults())
}

// describeFaultsError explains a decoding error of a PUT /_fake/faults body.
// The body contains no secrets, so encoding/json's message can be shown.
func describeFaultsError(err error) string {
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return fmt.Sprintf("faults body is not valid JSON: %v", err)
	}
	return err.Error()
}
