/**
 * KLUE-RE data: the label set, the example records, the checks of an example that the loader and
 * the endpoint share ({@link dev.kret.data.ExampleValidator}, spans cut by {@link
 * dev.kret.data.CodePoints}), and a streaming loader that validates every row ({@link
 * dev.kret.data.KlueReDataset}).
 *
 * <p>Decisions: row numbers in messages are 0-based positions in the file (they match the guid
 * suffix of the official splits); offsets are code points, end inclusive, as Python slices them;
 * malformed JSON always fails, even with {@code skipInvalid}, because the rest of the file cannot
 * be trusted; JSON Lines is accepted besides the official JSON list; unknown keys are ignored; the
 * digest covers every byte of the file.
 *
 * <p>A library below the roles: imports {@code hub} and {@code api} at most, never {@code text},
 * {@code model}, {@code train}, {@code serve}, {@code operator} or {@code cli}.
 */
package dev.kret.data;
