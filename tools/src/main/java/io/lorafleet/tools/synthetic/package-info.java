/**
 * Synthetic models to measure on: {@link io.lorafleet.tools.synthetic.SyntheticCheckpoint} writes a Hugging
 * Face checkpoint of a real shape ({@link io.lorafleet.tools.synthetic.CheckpointShape}) with random bf16
 * weights, a word-per-id tokenizer ({@link io.lorafleet.tools.synthetic.SyntheticTokenizer}) and random PEFT
 * adapters, cached on disk and checked complete by a marker; {@link
 * io.lorafleet.tools.synthetic.RandomAdapterWriter} writes random-weight copies of any PEFT adapter
 * ({@code lorafleet make-adapters}).
 */
package io.lorafleet.tools.synthetic;
