using System.Net;
using Arbor.Contracts.V1;
using Arbor.Release.Environments;
using Arbor.Rpc.Server;
using Arbor.Signatures.Archives;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arbor.Release.Tests.Fixtures;

/// <summary>
/// A leaf that answers <c>arbor.v1.Leaf/ListModels</c> over real gRPC on loopback with whatever
/// <see cref="Answer"/> says (for instance, what an environment's model repository holds).
/// </summary>
internal sealed class FakeLeaf : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeLeaf(WebApplication app, Uri address, Func<ListModelsResponse> answer)
    {
        _app = app;
        Address = address;
        Answer = answer;
    }

    public Uri Address { get; }

    public Func<ListModelsResponse> Answer { get; set; }

    public static async Task<FakeLeaf> StartAsync(Func<ListModelsResponse> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddArborGrpc();
        var holder = new Holder();
        builder.Services.AddSingleton(holder);
        builder.WebHost.ConfigureKestrel(k => k.ListenRpc(new IPEndPoint(IPAddress.Loopback, 0)));
        var app = builder.Build();
        app.MapGrpcService<Service>();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        var leaf = new FakeLeaf(app, new Uri(address), answer);
        holder.Leaf = leaf;
        return leaf;
    }

    /// <summary>Serves what a leaf with a latest-version policy would serve from the environment's repository: the greatest version.</summary>
    public static Func<ListModelsResponse> Serving(EnvironmentDirectory env, string partition, params string[] models) => () =>
    {
        var response = new ListModelsResponse { Partition = partition };
        foreach (var model in models)
        {
            var served = new ServedModel { Name = model };
            if (env.DefaultVersion(model) is { } version)
            {
                served.DefaultVersion = version;
                served.Versions.Add(new ServedVersion
                {
                    Version = version,
                    State = VersionState.Available,
                    SignatureSha256 = ModelArchiveReader.Read(env.ArchivePath(model, version)).Sha256,
                });
            }

            response.Models.Add(served);
        }

        return response;
    };

    /// <summary>A fixed answer: models with versions (all AVAILABLE), default the last listed.</summary>
    public static Func<ListModelsResponse> Fixed(string partition, params (string Model, string Version, string Sha)[] versions) => () =>
    {
        var response = new ListModelsResponse { Partition = partition };
        foreach (var group in versions.GroupBy(v => v.Model))
        {
            var served = new ServedModel { Name = group.Key, DefaultVersion = group.Last().Version };
            served.Versions.AddRange(group.Select(v => new ServedVersion { Version = v.Version, State = VersionState.Available, SignatureSha256 = v.Sha }));
            response.Models.Add(served);
        }

        return response;
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    private sealed class Holder
    {
        public FakeLeaf? Leaf { get; set; }
    }

    private sealed class Service(Holder holder) : Leaf.LeafBase
    {
        public override Task<ListModelsResponse> ListModels(ListModelsRequest request, Grpc.Core.ServerCallContext context) => Task.FromResult(holder.Leaf!.Answer());
    }
}
