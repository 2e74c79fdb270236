// Package textline is the text-line OCR task (TaskSpec.kind "textline"):
// miners serve a recognizer with PaddleOCR's interface, float32 [N,3,48,W]
// in, per-time-step class scores [N,T,6625] out, decoded by greedy CTC with
// the subnet's character dictionary (PP-OCR's ppocr_keys_v1.txt, pinned by
// sha256).
//
// Guarantees:
//   - Challenges are rendered fresh from the validator's private rng: random
//     words and numbers in real fonts, with random size, letter spacing,
//     rotation, blur and noise. The same rng state gives the same batch,
//     bit for bit, on one architecture.
//   - Preprocess is the only way images become inputs, for challenges and
//     for the gateway's payloads alike: height 48, aspect kept, at most
//     MaxWidth wide, normalised to [-1, 1] in BGR order, padded with 0.
//   - Each row scores 1 - CER (edit distance over the truth's length),
//     clipped to [0, 1]; NaN or infinite scores give the row 0; outputs of
//     the wrong name, dtype or shape are errors wrapping task.ErrBadOutput.
//   - The evaluation set (Eval) is 512 seeded lines; the untrained baseline
//     (InitModel) has the spec's signature and reads nothing.
//
// The fonts and word list come from scripts/fetch-fonts.sh, the dictionary
// and reference model from scripts/fetch-ocr-model.sh. See README.md.
package textline
