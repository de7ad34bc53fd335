"""Lie point symmetries of PDEs: derivation with sympy and batched application in torch.

Not built yet: derivation, exponentiation and the transforms arrive with the
symmetries issue. Importing this package gives nothing else for now.
"""
