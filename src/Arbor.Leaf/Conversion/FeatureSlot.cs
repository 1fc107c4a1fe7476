namespace Arbor.Leaf.Conversion;

/// <summary>Where one feature goes: its input, its column within that input, and its index over all features.</summary>
internal readonly record struct FeatureSlot(int Input, int Column, int Feature);
