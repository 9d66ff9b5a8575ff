/**
 * The model: a RoBERTa encoder with a relation-classification head as DJL tensors under Hugging
 * Face parameter names ({@link dev.kret.model.RelationModel}), the model directory training writes
 * and serving reads ({@link dev.kret.model.ModelDirectory}), inference over it ({@link
 * dev.kret.model.RelationClassifier}), the device choice, and the one door to DJL ({@link
 * dev.kret.model.Djl}).
 *
 * <p>A library below the roles: imports {@code text}, {@code data}, {@code hub}, {@code metrics}
 * and {@code api} at most, never {@code train}, {@code serve}, {@code operator} or {@code cli}.
 */
package dev.kret.model;
