// Package reports renders evaluation results as tables, plots and HTML
// reports. It sees only results, never a model.
package reports
