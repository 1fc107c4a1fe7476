using System.CommandLine;
using System.Globalization;
using System.Text;
using Arbor.Signatures.Archives;
using Arbor.Signatures.Signatures;

namespace Arbor.Cli.Commands;

/// <summary><c>arbor signature show</c>: the signature and allowlist inside a model archive.</summary>
public static class SignatureCommand
{
    public static Command Create()
    {
        var command = new Command("signature", "Inspect model signatures (module_info.json inside .pt archives).");
        var file = new Argument<string>("model") { Description = "A TorchScript model archive (model.pt)." };
        var json = new Option<bool>("--json") { Description = "Print the signature's JSON exactly as stored." };
        var show = new Command("show", "Print a model archive's signature and allowlist.") { file, json };
        show.SetAction((ParseResult result, CancellationToken cancellationToken) =>
        {
            try
            {
                var signature = ModelArchiveReader.Read(result.GetValue(file)!);
                if (result.GetValue(json))
                {
                    using var stdout = Console.OpenStandardOutput();
                    stdout.Write(signature.Json.Span);
                }
                else
                {
                    Console.Write(Describe(signature));
                }

                return Task.FromResult(0);
            }
            catch (SignatureException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return Task.FromResult(1);
            }
        });
        command.Subcommands.Add(show);
        return command;
    }

    /// <summary>A human-readable description: identity, forward arguments in order, outputs, allowlist.</summary>
    public static string Describe(ModelSignature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        var info = signature.Info;
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.Append(c, $"model      {info.Model}\n");
        text.Append(c, $"version    {info.Version}\n");
        text.Append(c, $"schema     {info.Schema}\n");
        text.Append(c, $"sha256     {signature.Sha256}\n");
        text.Append(c, $"entry      {signature.EntryName}\n");
        text.Append("inputs (forward arguments in this order):\n");
        var argument = 0;
        foreach (var input in info.Inputs)
        {
            switch (input.Kind)
            {
                case InputKind.Dense:
                    text.Append(c, $"  arg {argument++}: {input.Name}: dense float32 [B, {input.Features.Count}], default {input.Default}: {string.Join(", ", input.Features)}\n");
                    break;
                case InputKind.Vector:
                    text.Append(c, $"  arg {argument++}: {input.Name}: vector float32 [B, {input.Dim}], default {input.Default}: {input.Features[0]}\n");
                    break;
                default:
                    text.Append(c, $"  arg {argument}-{argument + 1}: {input.Name}: id_list int64 values [N] + offsets [B], max_length {input.MaxLength}: {input.Features[0]}\n");
                    argument += 2;
                    break;
            }
        }

        text.Append(c, $"outputs    {string.Join(", ", info.Outputs.Select(o => o.Name))}\n");
        var allowlist = info.Features.Order(StringComparer.Ordinal).ToList();
        text.Append(c, $"allowlist ({allowlist.Count} features):\n");
        foreach (var feature in allowlist)
        {
            text.Append("  ").Append(feature).Append('\n');
        }

        return text.ToString();
    }
}
