// Package tasks defines kshot's benchmark tasks: each turns documents read
// by package datasets into eval requests and scores the responses per
// document.
package tasks
