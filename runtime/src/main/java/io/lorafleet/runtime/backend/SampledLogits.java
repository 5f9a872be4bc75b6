package io.lorafleet.runtime.backend;

/**
 * What {@link Backend#forwardSampled} gives back, per logits row of the batch: the token chosen on the
 * device and its log-probability under the raw logits (log-softmax, as the host Sampler reports it), or
 * for the rows the engine samples itself ({@link RowSampling#onHost}) the full row.
 *
 * @param tokens     per logits row, the chosen token; -1 for a row sampled on the host
 * @param logprobs   per logits row, the chosen token's log-probability
 * @param hostLogits the full logits of the host-sampled rows, in logits-row order
 * @param hostRow    per logits row, its row in {@code hostLogits}, or -1
 */
public record SampledLogits(int[] tokens, float[] logprobs, Logits hostLogits, int[] hostRow) {}
