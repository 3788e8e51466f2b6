/**
 * Token pieces: how the simulator cuts an answer into the token-sized strings it streams (a word
 * with the spaces before it, one punctuation mark, a newline), and counts them.
 */

/** A newline, a word or one punctuation mark (with the spaces before it), or trailing spaces. */
const PIECE = /\n|[ \t]*[\p{L}\p{N}_]+|[ \t]*[^\s\p{L}\p{N}_]|[ \t]+|\s/gu
export const tokenize = (text: string): string[] => text.match(PIECE) ?? []
export const countPieces = (text: string): number => text.match(PIECE)?.length ?? 0

/** Cut text into the simulator's token pieces (words with their leading space, punctuation, newlines). */
export const tokenPieces = (text: string): string[] => tokenize(text)
