//! numpy arrays in: each set's arrays (already float32 / int64, as the Python layer makes them)
//! read into the library's [`NpySet`], with errors naming the set, the layer and the row.

use ndarray::{Array1, Array2, ArrayD};
use numpy::{PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use mtq_signature::NpySet;

/// A 2-D float32 array as an owned matrix.
fn matrix(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Array2<f32>> {
    let a: PyReadonlyArray2<'_, f32> = obj
        .extract()
        .map_err(|_| PyTypeError::new_err(format!("{what}: expected a 2-D float32 array")))?;
    Ok(a.as_array().to_owned())
}

/// A 1-D int64 array of non-negative values (labels, ids) as indices.
pub(crate) fn indices_of(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Array1<usize>> {
    let a: PyReadonlyArray1<'_, i64> = obj
        .extract()
        .map_err(|_| PyTypeError::new_err(format!("{what}: expected a 1-D int64 array")))?;
    let a = a.as_array();
    if let Some((row, v)) = a.iter().enumerate().find(|(_, v)| **v < 0) {
        return Err(PyValueError::new_err(format!(
            "{what}: row {row} holds {v}; labels and ids are non-negative integers"
        )));
    }
    Ok(a.mapv(|v| v as usize))
}

/// The entry `key` of `d`, unless absent or `None`.
fn entry<'py>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    Ok(d.get_item(key)?.filter(|v| !v.is_none()))
}

/// The set `name` from the Python layer's dict: `layers` (a list of 2-D float32 arrays, one per
/// layer in network order), and `labels`, `probs`, `ids`, `images` (each optional).
pub(crate) fn set(d: &Bound<'_, PyDict>, name: &str) -> PyResult<NpySet> {
    let layers = entry(d, "layers")?
        .ok_or_else(|| PyValueError::new_err(format!("the {name} set has no layers")))?;
    let layers: Vec<Bound<'_, PyAny>> = layers.extract()?;
    let layers = layers
        .iter()
        .enumerate()
        .map(|(i, l)| matrix(l, &format!("the {name} set, layer {i}")))
        .collect::<PyResult<Vec<_>>>()?;
    let labels = entry(d, "labels")?
        .map(|l| indices_of(&l, &format!("the {name} set's labels")))
        .transpose()?;
    let ids = entry(d, "ids")?
        .map(|l| indices_of(&l, &format!("the {name} set's ids")))
        .transpose()?;
    let probabilities = entry(d, "probs")?
        .map(|p| matrix(&p, &format!("the {name} set's probabilities")))
        .transpose()?;
    let images = entry(d, "images")?
        .map(|i| -> PyResult<ArrayD<f32>> {
            let a: PyReadonlyArrayDyn<'_, f32> = i.extract().map_err(|_| {
                PyTypeError::new_err(format!("the {name} set's images: expected a float32 array"))
            })?;
            if a.ndim() < 3 {
                return Err(PyValueError::new_err(format!(
                    "the {name} set's images: expected N x H x W or N x C x H x W, got {} axes",
                    a.ndim()
                )));
            }
            Ok(a.as_array().to_owned())
        })
        .transpose()?;
    Ok(NpySet {
        layers,
        labels,
        probabilities,
        ids,
        images,
    })
}
