using Arbor.Features.Values;


namespace Arbor.Root.Preprocessing;

/// <summary>ln(1 + x) of a float or of each element of a float vector (see <see cref="NumericFunctions.Log1p"/>; computed in double, rounded to float). NaN below -1: clip first.</summary>
public sealed class Log1pTransform : IValueTransform
{
    public TypedValue Apply(TypedValue value)
    {
        switch (value.Kind)
        {
            case TypedValue.NoKind:
                return value;
            case FeatureType.Float:
                return TypedValue.FromFloat((float)NumericFunctions.Log1p(value.AsFloat()));
            case FeatureType.FloatVector:
                var source = value.AsFloatVector();
                var result = new float[source.Length];
                for (var i = 0; i < result.Length; i++)
                {
                    result[i] = (float)NumericFunctions.Log1p(source[i]);
                }

                return TypedValue.FromFloatVector(result);
            default:
                throw new FeatureValueException($"log1p applies to floats, not {value.Kind}.");
        }
    }
}
