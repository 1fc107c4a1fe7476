using Arbor.Features.Values;


namespace Arbor.Root.Preprocessing;

/// <summary>
/// Clamps numbers (floats, int64s, and each element of vectors and lists) into [min, max]. Float
/// bounds are the bounds rounded to float (clamping commutes with rounding, so this equals clamping
/// in double and rounding once); int64 bounds are truncated toward zero, as the reference's
/// <c>int(max(x, min))</c> does. NaN stays NaN.
/// </summary>
public sealed class ClipTransform : IValueTransform
{
    private readonly float _floatMin;
    private readonly float _floatMax;
    private readonly long _longMin;
    private readonly long _longMax;

    public ClipTransform(double? min, double? max)
    {
        if (min > max)
        {
            throw new ArgumentException($"clip min {min} is greater than max {max}.");
        }

        _floatMin = min is { } lo ? (float)lo : float.NegativeInfinity;
        _floatMax = max is { } hi ? (float)hi : float.PositiveInfinity;
        _longMin = min is { } a ? Saturate(Math.Truncate(a)) : long.MinValue;
        _longMax = max is { } b ? Saturate(Math.Truncate(b)) : long.MaxValue;
    }

    public TypedValue Apply(TypedValue value)
    {
        switch (value.Kind)
        {
            case TypedValue.NoKind:
                return value;
            case FeatureType.Float:
                return TypedValue.FromFloat(Clip(value.AsFloat()));
            case FeatureType.Int64:
                return TypedValue.FromInt64(Math.Clamp(value.AsInt64(), _longMin, _longMax));
            case FeatureType.FloatVector:
                var source = value.AsFloatVector();
                var floats = new float[source.Length];
                for (var i = 0; i < floats.Length; i++)
                {
                    floats[i] = Clip(source[i]);
                }

                return TypedValue.FromFloatVector(floats);
            case FeatureType.Int64List:
                var list = value.AsInt64List();
                var longs = new long[list.Length];
                for (var i = 0; i < longs.Length; i++)
                {
                    longs[i] = Math.Clamp(list[i], _longMin, _longMax);
                }

                return TypedValue.FromInt64List(longs);
            default:
                throw new FeatureValueException($"clip applies to numbers, not {value.Kind}.");
        }
    }

    private static long Saturate(double value) =>
        value >= long.MaxValue ? long.MaxValue : value <= long.MinValue ? long.MinValue : (long)value;

    private float Clip(float value) => value < _floatMin ? _floatMin : value > _floatMax ? _floatMax : value;
}
