using System.Text.Json;
using System.Text.Json.Serialization;

namespace Arbor.Rpc.Security;

/// <summary>
/// Reads a <see cref="SecretValue"/> as a string (inline) or <c>{"env": NAME}</c> /
/// <c>{"file": PATH}</c>; writes references as they are and inline secrets as
/// <see cref="SecretValue.Redacted"/>, so no serialised config carries a secret.
/// </summary>
public sealed class SecretValueJsonConverter : JsonConverter<SecretValue>
{
    public override SecretValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            var inline = reader.GetString()!;
            return inline.Length == 0 ? throw new JsonException("a secret must not be empty") : SecretValue.Inline(inline);
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("a secret is a string, {\"env\": NAME} or {\"file\": PATH}");
        }

        string? env = null, file = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            var value = reader.TokenType == JsonTokenType.String ? reader.GetString() : throw new JsonException($"'{name}' must be a string");
            switch (name)
            {
                case "env":
                    env = value;
                    break;
                case "file":
                    file = value;
                    break;
                default:
                    throw new JsonException($"unknown member '{name}' of a secret (env, file)");
            }
        }

        return (env, file) switch
        {
            ({ Length: > 0 }, null) => SecretValue.FromEnvironment(env),
            (null, { Length: > 0 }) => SecretValue.FromFile(file),
            _ => throw new JsonException("a secret reference names exactly one of a non-empty env or file"),
        };
    }

    public override void Write(Utf8JsonWriter writer, SecretValue value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        if (value.EnvironmentVariable is { } variable)
        {
            writer.WriteStartObject();
            writer.WriteString("env", variable);
            writer.WriteEndObject();
        }
        else if (value.File is { } file)
        {
            writer.WriteStartObject();
            writer.WriteString("file", file);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteStringValue(SecretValue.Redacted);
        }
    }
}
