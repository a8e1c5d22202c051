"""Generated larger derivations for the compute target: softmax/log-sum-exp and MLP chains.

Each file checks one size K (so time can be read against K) and has a chain of N
steps (10 to 20), built from definitions three or four deep.  Every step of a
correct chain equals the one before it by a genuine identity (the proof is in the
comment above each form); a "wrong" file replaces one step in the middle by a
step that is off by a factor (1 + 1/S) or a sign, which is false at every K.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# log-sum-exp: lse = log(S), S = sum_m exp(z_m), y_k = exp(z_k)/S (softmax).
# d lse / d z_k = y_k.  Every form below equals y_k:
LSE_HEAD = """title: Gradient of log-sum-exp, K = {K}, {N} steps{wrong_note}
indices: {{k: K, m: K}}
sizes: {{K: [{K}]}}
symbols:
  z[k]: real
define:
  S: Sum(exp(z[m]), (m, 1, K))
  lse: log(S)
  y[k]: exp(z[k]) / S
  p: Sum(y[m], (m, 1, K))
claim: Derivative(lse, z[k]) = y[k]
steps:
  - Derivative(lse, z[k])
  - Derivative(lse, S) * Derivative(S, z[k])
  - 1/S * exp(z_k)
"""
LSE_FORMS = (
    "exp(z_k)/S",                                   # reordering
    "exp(z_k - lse)",                               # exp(z - log S) = exp(z)/S
    "exp(z_k)*exp(-lse)",                           # exp(a + b) = exp(a) exp(b)
    "y_k*p",                                        # p = sum of softmax = 1
    "y_k + {i}*(log(S) - lse)",                     # lse is log(S)
    "y_k*(1 + {i}*(exp(lse) - S))",                 # exp(log S) = S, S > 0
    "exp(z_k)/Sum(exp(z[m]), (m, 1, K))",           # the definition of S
    "y_k*(S - exp(z_k))/S + y_k**2",                # y(1 - y) + y^2 = y
)
LSE_WRONG = "exp(z_k)/(S + 1)"                      # differs from y_k: S + 1 != S

# A one-hidden-unit MLP: a = sum_m w_m x_m + b, h = tanh(a), o = v h + c, L = (o - t)^2/2.
# d L / d w_k = (o - t) v (1 - h^2) x_k.  Every form below equals that:
MLP_HEAD = """title: Gradient of a small MLP's squared error, K = {K}, {N} steps{wrong_note}
indices: {{k: K, m: K}}
sizes: {{K: [{K}]}}
symbols:
  x[k]: real
  w[k]: real
define:
  a: Sum(w[m]*x[m], (m, 1, K)) + b
  h: tanh(a)
  o: v*h + c
  L: (o - t)**2 / 2
claim: Derivative(L, w[k]) = (o - t)*v*(1 - h**2)*x[k]
steps:
  - Derivative(L, w[k])
  - Derivative(L, o) * Derivative(o, h) * Derivative(h, a) * Derivative(a, w[k])
  - (o - t) * v * (1 - tanh(a)**2) * x_k
"""
MLP_FORMS = (
    "(o - t)*v*(1 - h**2)*x_k",                     # h = tanh(a)
    "(o - t)*v*(1 - h)*(1 + h)*x_k",                # difference of squares
    "(v*h + c - t)*v*(1 - h**2)*x_k",               # o = v h + c
    "(o - t)*v*x_k/cosh(a)**2",                     # 1 - tanh^2 = 1/cosh^2
    "(o - t)*v*x_k*(1 - h**2) + {i}*(h - tanh(a))", # h is tanh(a)
    "(o*v - t*v)*(x_k - x_k*h**2)",                 # distributing
    "(o - t)*v*x_k*4/(exp(a) + exp(-a))**2",        # cosh = (e^a + e^-a)/2
    "(o - t)*v*(1 - h**2)*x_k",                     # back to the claim's form
)
MLP_WRONG = "(o - t)*v*(1 - h)*x_k"                 # dropped (1 + h): false where h != 0


@dataclass(frozen=True)
class Spec:
    family: str
    K: int
    N: int
    wrong: bool

    @property
    def name(self) -> str:
        return f"{self.family}_K{self.K}_N{self.N}{'_wrong' if self.wrong else ''}.yaml"


def text(spec: Spec) -> str:
    """The derivation: a head of 3 steps, then forms cycled until the chain has N steps."""
    head, forms, wrong, last = {
        "lse": (LSE_HEAD, LSE_FORMS, LSE_WRONG, "y_k"),
        "mlp": (MLP_HEAD, MLP_FORMS, MLP_WRONG, "(o - t)*v*(1 - h**2)*x_k"),
    }[spec.family]
    note = ", one step wrong" if spec.wrong else ""
    out = head.format(K=spec.K, N=spec.N, wrong_note=note)
    body = []
    for i in range(spec.N - 4):
        body.append(forms[i % len(forms)].format(i=i + 2))
    if spec.wrong:
        body[len(body) // 2] = wrong
    body.append(last)
    return out + "".join(f"  - {s}\n" for s in body)


def grid(quick: bool = False) -> list[Spec]:
    """Growth with K at N = 10, growth with N at K = 4 (K = 2 when quick); correct and wrong files.

    The full grid (16 files: K in 2, 4, 8 and N in 10, 20) fits the default run's
    3 minutes on a quiet 2-core machine; the quick one (8 files) fits the minute.
    """
    if quick:
        specs = {Spec(f, k, n, False) for f in ("lse", "mlp") for k, n in ((2, 10), (4, 10), (2, 14))}
        specs |= {Spec(f, 2, 10, True) for f in ("lse", "mlp")}
    else:
        specs = {Spec(f, k, 10, w) for f in ("lse", "mlp") for k in (2, 4, 8) for w in (False, True)}
        specs |= {Spec(f, 4, 20, w) for f in ("lse", "mlp") for w in (False, True)}
    return sorted(specs, key=lambda s: (s.family, s.K, s.N, s.wrong))


def write(folder: Path, specs: list[Spec]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for s in specs:
        p = folder / s.name
        p.write_text(text(s))
        out.append(p)
    return out
