"""One answer from the paragraphs retrieval finds: retrieval, the features of each candidate
sentence, the learned choices (sentence, figure, refusal), then an extractive answer or an
LLM's, verified against its citations."""
