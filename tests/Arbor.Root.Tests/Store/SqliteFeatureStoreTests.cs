using Arbor.Root.Store;
using Arbor.Testing;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Arbor.Root.Tests.Store;

public sealed class SqliteFeatureStoreTests : FeatureStoreContractTests, IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    protected override Task<IFeatureStore> CreateStoreAsync() =>
        Task.FromResult<IFeatureStore>(new SqliteFeatureStore(_directory.Combine("sub", "features.db")));

    [Fact]
    public async Task Initialize_UsesWriteAheadLog()
    {
        await using var connection = new SqliteConnection($"Data Source={((SqliteFeatureStore)Store).DatabasePath};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";

        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync(Ct));
    }

    [Fact]
    public async Task Initialize_UnknownSchemaVersion_IsRefused()
    {
        var path = ((SqliteFeatureStore)Store).DatabasePath;
        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync(Ct);
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE arbor_schema SET value = '99' WHERE key = 'version';";
            await command.ExecuteNonQueryAsync(Ct);
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Store.InitializeAsync(Ct));
        Assert.Contains("'99'", error.Message, StringComparison.Ordinal);
    }
}
