"""xAPI 1.0.3 without a database: reading statement files, interpreting statements, writing them.

`reader` streams statements out of a file, `profile` maps verbs to what catalyst records,
`values` parses the value types (durations, scores, timestamps, identities), `interpret` turns
one statement into a plain record or a skip with its reason, and `writer` turns an exported
event back into a statement.
"""
