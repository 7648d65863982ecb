/**
 * The script `reelswarm demo` narrates: emergent patterns in mathematics, about 40 s spoken by
 * espeak-ng, in paragraphs that become 6–9 scenes. Its subjects are the ones the procedural sample
 * library draws (mandelbrot, life, cellular automata, sierpinski), so every scene has footage that shows it.
 */
export const BUNDLED_SCRIPT_TITLE = "Emergent patterns in mathematics"

export const BUNDLED_SCRIPT = `Simple rules can build astonishing worlds. Mathematics is full of patterns nobody designed.

The Mandelbrot set repeats one tiny formula, and draws a fractal of endless detail.

Zoom into its edge, and copies of the whole set keep appearing.

In the Game of Life, cells live or die by counting their neighbours.

Rule 110 uses one row of cells and one rule, yet it can compute anything.

The Sierpinski triangle appears when you remove the middle of a triangle, again and again.

Nobody drew these shapes. They emerge from rules that fit on one line.
`
