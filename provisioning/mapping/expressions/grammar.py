"""The grammar of Entra's attribute-mapping expressions (lark, LALR), kept in Python so it ships with
the package however it is installed."""

GRAMMAR = r"""
// Entra's attribute-mapping expressions ("Reference for writing expressions for attribute mappings").
?start: expr

?expr: operand
     | operand COMPARE operand  -> compare

?operand: call
        | ATTRIBUTE             -> attribute
        | STRING                -> string
        | NUMBER                -> number
        | HEX                   -> hex
        | NAME                  -> constant

call: NAME LPAR args RPAR
args: arg (COMMA arg)*
arg: expr?

NAME: /[A-Za-z_][A-Za-z0-9_]*/
ATTRIBUTE: /\[[^\[\]\s"]+\]/
STRING: /"(\\.|[^"\\])*"/s
NUMBER: /-?[0-9]+(\.[0-9]+)?/
HEX: /&[Hh][0-9A-Fa-f]+/
COMPARE: /<>|<=|>=|=|<|>/
LPAR: "("
RPAR: ")"
COMMA: ","

%import common.WS
%ignore WS
"""
