/**
 * The model in memory: {@link io.lorafleet.runtime.model.LlamaModel} (config plus weight views over the
 * mapped checkpoint, no copies), {@link io.lorafleet.runtime.model.LoraAdapter} (per layer and module: A,
 * B, scaling; validated against the base) and {@link io.lorafleet.runtime.model.Rope} (inverse
 * frequencies, with llama3 and linear scaling).
 */
package io.lorafleet.runtime.model;
