using Arbor.Features.Batches;

namespace Arbor.Features.Tests.Batches;

public sealed class FeatureBatchTests
{
    [Fact]
    public void Add_ColumnWithOtherRowCount_Throws()
    {
        var batch = new FeatureBatch(3);

        Assert.Throws<ArgumentException>(() => batch.Add(new FloatBatchColumn("x", [1f, 2f])));
    }

    [Fact]
    public void Add_NameAlreadyUsedBySharedColumn_Throws()
    {
        var batch = new FeatureBatch(2).AddShared(new FloatBatchColumn("x", [1f]));

        Assert.Throws<ArgumentException>(() => batch.Add(new FloatBatchColumn("x", [1f, 2f])));
    }

    [Fact]
    public void AddShared_ColumnWithSeveralRows_Throws()
    {
        Assert.Throws<ArgumentException>(() => new FeatureBatch(2).AddShared(new FloatBatchColumn("x", [1f, 2f])));
    }

    [Fact]
    public void Int64ListColumn_LengthsNotAddingUpToValues_Throws()
    {
        Assert.Throws<ArgumentException>(() => new Int64ListBatchColumn("ids", [1, 2], [1, 2]));
        Assert.Throws<ArgumentException>(() => new Int64ListBatchColumn("ids", [1, -1], [1]));
    }

    [Fact]
    public void FloatVectorColumn_ValuesNotWholeVectors_Throws()
    {
        Assert.Throws<ArgumentException>(() => new FloatVectorBatchColumn("v", 3, [1f, 2f]));
        Assert.Throws<ArgumentException>(() => new FloatVectorBatchColumn("v", 0, []));
    }

    [Fact]
    public void Column_MissingBitmapOfWrongLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => new FloatBatchColumn("x", new float[9], new byte[1]));
    }

    [Fact]
    public void StringColumn_NullValue_Throws()
    {
        Assert.Throws<ArgumentException>(() => new StringBatchColumn("s", ["a", null!]));
    }

    [Fact]
    public void Column_EmptyName_Throws()
    {
        Assert.Throws<ArgumentException>(() => new FloatBatchColumn("", [1f]));
    }

    [Fact]
    public void IsMissing_ReflectsTheBitmap()
    {
        var bitmap = MissingBitmap.Create(10);
        MissingBitmap.Set(bitmap, 9);
        var column = new FloatBatchColumn("x", new float[10], bitmap);

        Assert.True(column.IsMissing(9));
        Assert.False(column.IsMissing(8));
        Assert.True(column.HasMissing);
    }
}
