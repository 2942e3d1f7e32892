//! The figures and the matched estimate computed side by side on two threads
//! (`summary::compute_with_estimate`, what `vidare effects` and the dashboards run) are
//! exactly what the two computations give one after the other.

mod synth_data;

use vidare_effects::counterfactual;
use vidare_effects::summary::{self, Options};

#[test]
fn side_by_side_equals_one_after_the_other() {
    let (data, _) = synth_data::demo(3);
    let options = Options::default();
    let cf = counterfactual::Options::default();
    let (summary, estimate) = summary::compute_with_estimate(&data, &options, &cf);
    let alone = summary::compute(&data, &options);
    let estimate_alone = counterfactual::estimate(&data, &cf);
    assert_eq!(
        serde_json::to_string(&summary).unwrap(),
        serde_json::to_string(&alone).unwrap()
    );
    let (a, b) = (estimate.unwrap(), estimate_alone.unwrap());
    assert_eq!(a.effects[0].att, b.effects[0].att);
    assert_eq!(a.effects[0].std_error, b.effects[0].std_error);
    assert_eq!(a.matching.matched, b.matching.matched);
}
