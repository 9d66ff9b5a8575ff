/**
 * From a KLUE-RE example to model input: the entity-marker schemes, the tokenizer (a Hugging Face
 * fast tokenizer with the marker tokens added) and the one encoder of training and serving ({@link
 * dev.kret.text.RelationEncoder}).
 *
 * <p>A library below the roles: imports {@code data}, {@code hub} and {@code api} at most, never
 * {@code model}, {@code train}, {@code serve}, {@code operator} or {@code cli}.
 */
package dev.kret.text;
