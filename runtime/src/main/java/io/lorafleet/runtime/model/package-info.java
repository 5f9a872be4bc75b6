/**
 * The model in memory: {@link io.lorafleet.runtime.model.LlamaModel} (config plus weight views over the
 * mapped checkpoint, no copies), {@link io.lorafleet.runtime.model.LoraAdapter} (per layer and module: A,
 * B, scaling; validated against the base) and {@link io.lorafleet.runtime.model.Rope} (inverse
 * frequencies, with llama3 and linear scaling). {@link io.lorafleet.runtime.model.Quantization} names how a
 * backend stores the projections and {@link io.lorafleet.runtime.model.Int8Quantizer} is the one definition
 * of the int8 codes and scales both backends quantize with, row by row while they pack or upload.
 */
package io.lorafleet.runtime.model;
