package reports

import "github.com/kshot-eval/kshot/eval/results"

// The results file model is package results'; reports renders it. These
// aliases keep the report and comparison code readable.
type (
	// Run is a results file with its samples (results.Run).
	Run = results.Run
	// ModelMeta is the evaluated model as a results file records it.
	ModelMeta = results.ModelMeta
	// TaskRun is one task at one k of a results file.
	TaskRun = results.TaskRun
	// MetricValue is one metric's aggregate in a results file.
	MetricValue = results.MetricValue
	// SampleRecord is one document of a samples file.
	SampleRecord = results.SampleRecord
	// RequestRecord is one logged request of a samples file.
	RequestRecord = results.Request
	// FormatError reports an input file reports cannot read.
	FormatError = results.FormatError
)

// LoadRuns reads results files and directories of them with their
// samples (results.LoadRuns).
func LoadRuns(paths []string) ([]*Run, error) { return results.LoadRuns(paths) }
