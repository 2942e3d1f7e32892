//! Dense linear algebra for small symmetric positive-definite systems (p ≲ 50): the
//! Newton steps and the covariance matrix of a logistic regression. Matrices are
//! row-major `p × p` slices.

/// The Cholesky factor `L` (lower triangular, row-major) of a symmetric positive-definite
/// matrix, `A = L Lᵀ`.
#[derive(Debug, Clone)]
pub struct Cholesky {
    p: usize,
    l: Vec<f64>,
}

/// The matrix is not (numerically) positive definite: pivot `column` was not
/// positive relative to the matrix's scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NotPositiveDefinite {
    pub column: usize,
}

impl Cholesky {
    /// Factorises the symmetric `p × p` matrix `a` (only its lower triangle is read).
    /// A pivot at or below `1e-12 ×` the largest diagonal element counts as zero, so
    /// exactly collinear columns are reported instead of giving huge, meaningless
    /// solutions.
    pub fn new(a: &[f64], p: usize) -> Result<Cholesky, NotPositiveDefinite> {
        assert_eq!(a.len(), p * p, "matrix size");
        let scale = (0..p).map(|i| a[i * p + i].abs()).fold(0.0, f64::max);
        let tiny = scale * 1e-12;
        let mut l = vec![0.0; p * p];
        for j in 0..p {
            let mut d = a[j * p + j];
            for k in 0..j {
                d -= l[j * p + k] * l[j * p + k];
            }
            if d.is_nan() || d <= tiny {
                return Err(NotPositiveDefinite { column: j });
            }
            let djj = d.sqrt();
            l[j * p + j] = djj;
            for i in j + 1..p {
                let mut s = a[i * p + j];
                for k in 0..j {
                    s -= l[i * p + k] * l[j * p + k];
                }
                l[i * p + j] = s / djj;
            }
        }
        Ok(Cholesky { p, l })
    }

    /// Solves `A x = b`.
    pub fn solve(&self, b: &[f64]) -> Vec<f64> {
        let p = self.p;
        let l = &self.l;
        let mut y = b.to_vec();
        for i in 0..p {
            let mut s = y[i];
            for k in 0..i {
                s -= l[i * p + k] * y[k];
            }
            y[i] = s / l[i * p + i];
        }
        for i in (0..p).rev() {
            let mut s = y[i];
            for k in i + 1..p {
                s -= l[k * p + i] * y[k];
            }
            y[i] = s / l[i * p + i];
        }
        y
    }

    /// `A⁻¹` (row-major), column by column.
    pub fn inverse(&self) -> Vec<f64> {
        let p = self.p;
        let mut inv = vec![0.0; p * p];
        let mut e = vec![0.0; p];
        for j in 0..p {
            e.iter_mut().for_each(|v| *v = 0.0);
            e[j] = 1.0;
            let col = self.solve(&e);
            for i in 0..p {
                inv[i * p + j] = col[i];
            }
        }
        inv
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_and_inverts_a_known_system() {
        // A = [[4, 2, 0.4], [2, 5, 1], [0.4, 1, 3]]
        let a = [4.0, 2.0, 0.4, 2.0, 5.0, 1.0, 0.4, 1.0, 3.0];
        let c = Cholesky::new(&a, 3).unwrap();
        let x = c.solve(&[1.0, 2.0, 3.0]);
        for i in 0..3 {
            let ax: f64 = (0..3).map(|k| a[i * 3 + k] * x[k]).sum();
            assert!((ax - [1.0, 2.0, 3.0][i]).abs() < 1e-12);
        }
        let inv = c.inverse();
        for i in 0..3 {
            for j in 0..3 {
                let v: f64 = (0..3).map(|k| a[i * 3 + k] * inv[k * 3 + j]).sum();
                assert!((v - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn refuses_a_singular_matrix() {
        // Second column = 2 × first.
        let a = [1.0, 2.0, 2.0, 4.0];
        assert_eq!(
            Cholesky::new(&a, 2).unwrap_err(),
            NotPositiveDefinite { column: 1 }
        );
    }
}
