using Switchyard.Tensors;

namespace Switchyard.Nn.Optim;

/// <summary>Gradient clipping by the global L2 norm over a set of parameters.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Computes the L2 norm of all trainable parameters' gradients together (in double, in list
    /// order: deterministic) and, when it exceeds <paramref name="maxNorm"/>, scales every
    /// gradient by maxNorm / norm so that the global norm becomes maxNorm.
    /// </summary>
    /// <remarks>
    /// Unlike PyTorch there is no 1e-6 in the denominator: the clipped norm equals maxNorm up to
    /// float rounding. A non-finite norm leaves the gradients untouched and is returned, so the
    /// caller can skip the step.
    /// </remarks>
    /// <returns>The global norm before clipping.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is not positive.</exception>
    public static double ClipGlobalNorm(IReadOnlyList<Parameter> parameters, double maxNorm) =>
        ClipGlobalNorm(parameters, maxNorm, Simd.Best);

    internal static double ClipGlobalNorm(IReadOnlyList<Parameter> parameters, double maxNorm, SimdWidth width)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "must be > 0");
        double norm = GlobalNorm(parameters, width);
        if (double.IsFinite(norm) && norm > maxNorm)
        {
            float scale = (float)(maxNorm / norm);
            for (int i = 0; i < parameters.Count; i++)
            {
                var p = parameters[i];
                if (p.Trainable && p.HasGrad) OptimizerKernels.Scale(p.Grad.Span, scale, width);
            }
        }
        return norm;
    }

    /// <summary>The global L2 norm of the trainable parameters' gradients, computed in double.</summary>
    public static double GlobalNorm(IReadOnlyList<Parameter> parameters) => GlobalNorm(parameters, Simd.Best);

    internal static double GlobalNorm(IReadOnlyList<Parameter> parameters, SimdWidth width)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        double sum = 0;
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            if (p.Trainable && p.HasGrad) sum += OptimizerKernels.SumOfSquares(p.Grad.Span, width);
        }
        return Math.Sqrt(sum);
    }
}
