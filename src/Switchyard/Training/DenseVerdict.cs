using System.Globalization;

namespace Switchyard.Training;

/// <summary>
/// Whether an MoE router beat the dense control of equal active parameters at equal steps
/// (<see cref="RouterComparison.VersusDense"/>).
/// </summary>
/// <param name="Router">The MoE router.</param>
/// <param name="MoeMean">Its mean final validation loss.</param>
/// <param name="MoeStd">Its sample standard deviation over seeds.</param>
/// <param name="DenseMean">The dense control's mean final validation loss.</param>
/// <param name="DenseStd">The dense control's sample standard deviation over seeds.</param>
/// <param name="Seeds">The fewer of the two rows' seed counts.</param>
public sealed record DenseVerdict(string Router, double MoeMean, double MoeStd, double DenseMean, double DenseStd, int Seeds)
{
    /// <summary>Dense minus MoE loss: positive when the MoE model is better.</summary>
    public double Difference => DenseMean - MoeMean;

    /// <summary>The spread the difference is measured against: √(σ_moe² + σ_dense²) (0 with one seed).</summary>
    public double Sigma => Math.Sqrt(MoeStd * MoeStd + DenseStd * DenseStd);

    /// <summary>|difference| in units of <see cref="Sigma"/>; NaN when there is no spread to compare with.</summary>
    public double Sigmas => Sigma > 0 ? Math.Abs(Difference) / Sigma : double.NaN;

    /// <summary>Whether the MoE model's mean loss is lower.</summary>
    public bool MoeBetter => Difference > 0;

    /// <summary>Whether the difference exceeds twice <see cref="Sigma"/> (false with one seed: nothing to judge it by).</summary>
    public bool Significant => Sigma > 0 && Math.Abs(Difference) > 2 * Sigma;

    /// <summary>One line (± std only with two seeds or more), e.g. <c>top-k vs dense: 1.749 ± 0.004 vs 1.802 ± 0.006 → MoE better by 0.053 nats (&gt; 2σ)</c>.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        string who = Difference == 0 ? "tie" : MoeBetter ? "MoE better" : "dense better";
        string spread = Seeds < 2 ? "1 seed: no spread to judge by"
            : Sigma == 0 ? "no spread"
            : Significant ? "> 2σ" : Math.Abs(Difference) > Sigma ? "> 1σ, < 2σ" : "within 1σ";
        // With one seed there is no std to show: "± 0.000" would claim a precision the run does not have.
        string Value(double mean, double std) => Seeds < 2 ? mean.ToString("F3", c) : string.Format(c, "{0:F3} ± {1:F3}", mean, std);
        return string.Format(c, "{0} vs dense: {1} vs {2} → {3} by {4:F3} nats ({5})",
            Router, Value(MoeMean, MoeStd), Value(DenseMean, DenseStd), who, Math.Abs(Difference), spread);
    }
}
