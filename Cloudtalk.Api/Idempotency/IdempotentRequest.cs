using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cloudtalk.Api.Infrastructure;

namespace Cloudtalk.Api.Idempotency;

/// <summary>
/// A create sent with an <c>Idempotency-Key</c> header (IETF draft "The Idempotency-Key HTTP Header Field"): a client
/// that lost the answer may send the same request again with the same key and gets the first answer, not a second
/// product or review. The key names one request of one client (a UUID is the usual choice); the fingerprint, a SHA-256
/// of the path and the JSON body, tells a retry from a different request that reused the key.
/// </summary>
public sealed record IdempotentRequest(string Key, string Path, byte[] Fingerprint)
{
    public const string HeaderName = "Idempotency-Key";

    /// <summary>The error key of an invalid header in a validation problem.</summary>
    public const string ErrorField = HeaderName;

    public const int MaxKeyLength = 255;

    public const string HeaderDescription =
        "Optional. 1-255 printable ASCII characters, e.g. a UUID, new for each distinct create. A request repeated " +
        "with the same key and the same body (after a timeout or a lost connection) gets the first request's answer " +
        "(201, same resource, header `Idempotent-Replayed: true`) instead of creating a second one; the same key with " +
        "another body or path is a 422. Kept 24 hours.";

    /// <summary>
    /// The request's key and fingerprint; null without the header. An empty, repeated, too long or non-ASCII key is
    /// recorded in <paramref name="errors"/> (and null returned).
    /// </summary>
    public static IdempotentRequest? Read(HttpRequest request, JsonElement body, ValidationErrors errors)
    {
        var values = request.Headers[HeaderName];
        if (values.Count == 0)
        {
            return null;
        }

        var key = values.Count == 1 ? values[0] : null;
        if (string.IsNullOrEmpty(key) || key.Length > MaxKeyLength || !key.All(c => c is >= ' ' and <= '~'))
        {
            errors.Add(ErrorField, $"The {HeaderName} header must be sent once, with 1 to {MaxKeyLength} printable ASCII characters.");
            return null;
        }

        var path = request.Path.Value ?? "";
        var fingerprint = SHA256.HashData(Encoding.UTF8.GetBytes(path + "\n" + body.GetRawText()));
        return new IdempotentRequest(key, path, fingerprint);
    }

    /// <summary>Whether a stored record answered this very request (same path, same body) rather than another one.</summary>
    public bool Matches(IdempotencyRecord record) =>
        record.RequestPath == Path && CryptographicOperations.FixedTimeEquals(record.Fingerprint, Fingerprint);
}
