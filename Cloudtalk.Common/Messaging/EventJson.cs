using System.Text.Json;

namespace Cloudtalk.Common.Messaging;

/// <summary>The JSON form of event bodies: camelCase, numbers as numbers, unknown fields ignored.</summary>
public static class EventJson
{
    /// <summary>The serializer options every publisher and consumer uses.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict,
        // A body without a field the record needs is malformed, not a silent 0.
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };

    /// <summary>Serializes an event body to UTF-8 JSON.</summary>
    /// <typeparam name="TEvent">The event's type.</typeparam>
    /// <param name="event">The event.</param>
    /// <returns>The UTF-8 bytes.</returns>
    public static byte[] Serialize<TEvent>(TEvent @event) => JsonSerializer.SerializeToUtf8Bytes(@event, Options);
}
