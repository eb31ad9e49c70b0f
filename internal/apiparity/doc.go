// Package apiparity holds the end-to-end tests of kshot's completions API:
// a task evaluated through `kshot serve` (package serve) and the API
// backend (package apilm) must give what the built-in decoder gives
// in-process. It has no code besides its tests.
package apiparity
