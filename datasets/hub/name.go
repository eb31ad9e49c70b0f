package hub

// Dataset names a split of a dataset on the Hugging Face Hub. Client.Dataset
// downloads its Parquet files; ParseDataset reads one from text.
type Dataset struct {
	Repo   string // repository id, e.g. "EleutherAI/lambada_openai"
	Config string // configuration (subset) name; "" means "default"
	Split  string // split name, e.g. "test"; may be empty
}

// String formats d as `EleutherAI/lambada_openai (default, test)`, or
// without the split when it is empty: `glue (sst2)`.
func (d Dataset) String() string {
	config := d.Config
	if config == "" {
		config = "default"
	}
	if d.Split == "" {
		return d.Repo + " (" + config + ")"
	}
	return d.Repo + " (" + config + ", " + d.Split + ")"
}
