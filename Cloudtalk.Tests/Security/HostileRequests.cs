using System.Globalization;
using System.Text;

namespace Cloudtalk.Tests.Security;

/// <summary>One generated request: what to send and a description to name it in a failure.</summary>
public sealed record HostileRequest(HttpMethod Method, string Url, byte[]? Body, string? ContentType, bool Chunked, string Description)
{
    public bool IsWrite => Method != HttpMethod.Get;
}

/// <summary>
/// Generates hostile requests over every endpoint from a seeded <see cref="Random"/>: random and boundary JSON,
/// wrong types, huge numbers, deep nesting, invalid UTF-8, NUL and lone surrogates, oversized and empty bodies,
/// odd content types, out-of-range path ids and query strings. Writes only ever target the given product and
/// review or ids that cannot exist, and never carry a valid rating, so a test can tell what a request changed.
/// </summary>
public sealed class HostileRequests(Random random, long productId, long reviewId, long reviewedProductId)
{
    public const int OneMiB = 1024 * 1024;

    // Ids that no row has or that are not positive 64-bit integers (leading zeros and '+' are left out on
    // purpose: they parse to real ids, and a delete of someone else's product would not be hostile input).
    // An encoded NUL in the path (%00) is left to its own test: Kestrel refuses it before the Api sees it.
    private static readonly string[] BadIds =
    [
        "0", "-1", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "99999999999999999999999",
        "abc", "1.5", "1e3", "0x10", "%20", "NaN", "Infinity", "%F0%9F%98%80", "%D9%A1", "1%2F2", "%27%20OR%201%3D1--",
        "..%2F..%2Fetc%2Fpasswd", new string('9', 400), "-0", "1,5",
    ];

    private static readonly string[] QueryValues =
    [
        "0", "-1", "1.5", "abc", "99999999999999999999", "2147483648", "2147483647", "1e2", "", "%00", "%F0%9F%98%80",
        "1000", "1001", "1", "+5", "%20", "1&page=2", "1&limit=3", new string('1', 300), "null", "%5B%5D",
    ];

    private static readonly string[] ContentTypes =
    [
        "application/json", "application/json; charset=utf-8", "application/json; charset=utf-16", "text/plain",
        "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/octet-stream",
        "application/problem+json",
    ];

    // JSON values that are wrong or at a boundary for any field. No whole number from 1 to 5 on purpose (see above).
    private static readonly string[] HostileValues =
    [
        "1e309", "-1e309", "99999999999999999999", "1" + new string('0', 400), "1e-400", "-0", "0.0000001", "3.5", "6", "0", "-1",
        "9223372036854775808", "-9223372036854775809", "1000000000.01", "10.555", "5.0", "\"5\"", "\"10.50\"", "\"\"",
        "\"\\u0000\"", "\"a\\u0000b\"", "\"\\ud800\"", "\"\\udfff\"", "\"x\\ud800y\"", "\"\\ud83d\\ude00\"", "true", "false", "null",
        "[]", "{}", "[1,2,3]", "{\"$ne\":null}", "\"" + new string('n', 201) + "\"", "\"" + new string('d', 4001) + "\"",
        "\"   \"", "\"<script>alert(1)</script>\"", "\"'; DROP TABLE products; --\"", "\"\\\\\"",
        "\"" + string.Concat(Enumerable.Repeat("\\ud83d\\ude00", 201)) + "\"", "NaN", "Infinity", "0x10", "'single'",
    ];

    private static readonly string[] ProductFields = ["name", "description", "price"];
    private static readonly string[] ReviewFields = ["productId", "firstName", "lastName", "reviewText", "rating"];

    public HostileRequest Next()
    {
        var id = Pick(BadIds);
        return random.Next(12) switch
        {
            0 => Write(HttpMethod.Post, "/api/products", ProductFields),
            1 => Write(HttpMethod.Put, $"/api/products/{(random.Next(3) == 0 ? id : productId.ToString(CultureInfo.InvariantCulture))}", ProductFields),
            2 => Write(HttpMethod.Post, "/api/reviews", ReviewFields),
            3 => Write(HttpMethod.Put, $"/api/reviews/{(random.Next(3) == 0 ? id : reviewId.ToString(CultureInfo.InvariantCulture))}", ReviewFields),
            4 => Bodiless(HttpMethod.Delete, $"/api/products/{id}"),
            5 => Bodiless(HttpMethod.Delete, $"/api/reviews/{id}"),
            6 => Bodiless(HttpMethod.Get, $"/api/products/{id}"),
            7 => Bodiless(HttpMethod.Get, $"/api/reviews/{id}"),
            8 => Bodiless(HttpMethod.Get, $"/api/products/{id}/reviews{Query()}"),
            9 => Bodiless(HttpMethod.Get, $"/api/products/{reviewedProductId}/reviews{Query()}"),
            10 => Bodiless(HttpMethod.Get, $"/api/products{Query()}"),
            _ => random.Next(2) == 0
                ? Write(HttpMethod.Delete, $"/api/reviews/{id}", ReviewFields)
                : Write(HttpMethod.Get, $"/api/products/{productId}", ProductFields),
        };
    }

    private static HostileRequest Bodiless(HttpMethod method, string url) => new(method, url, null, null, false, $"{method} {url}");

    private HostileRequest Write(HttpMethod method, string url, string[] fields)
    {
        var (body, what) = Body(fields);
        // An endpoint that never reads its body answers, and Kestrel then closes the connection on the unread
        // megabyte while the client is still sending it: a transport race, not an answer; so GET and DELETE
        // get bodies up to the limit only.
        while (body.Length > OneMiB && (method == HttpMethod.Get || method == HttpMethod.Delete))
        {
            (body, what) = Body(fields);
        }

        var contentType = random.Next(4) == 0 ? (random.Next(5) == 0 ? null : Pick(ContentTypes)) : "application/json";
        // Oversized bodies go with a Content-Length (see HostileInputTests.SendAsync); smaller ones sometimes chunked.
        var chunked = random.Next(6) == 0 && body.Length <= OneMiB;
        var preview = body.Length > 120 ? $"{body.Length} bytes" : Encoding.UTF8.GetString(body);
        return new(method, url, body, contentType, chunked,
            $"{method} {url} [{contentType ?? "no content type"}{(chunked ? ", chunked" : "")}] {what}: {preview}");
    }

    private (byte[] Body, string What) Body(string[] fields)
    {
        switch (random.Next(14))
        {
            case 0:
                return ([], "empty");
            case 1:
                return (Utf8(Pick(HostileValues)), "not an object");
            case 2:
                var depth = random.Next(2) == 0 ? 10_000 : 100;
                return (Utf8(new string('[', depth) + new string(']', depth)), $"{depth} nested arrays");
            case 3:
                var nested = new StringBuilder("{\"" + Pick(fields) + "\":");
                nested.Append(new string('{', 5_000).Replace("{", "{\"a\":")).Append('1').Append('}', 5_001);
                return (Utf8(nested.ToString()), "5,000 nested objects in a field");
            case 4:
                return (InvalidUtf8(fields), "invalid UTF-8");
            case 5:
                var big = "{\"" + Pick(fields) + "\":\"" + new string('x', OneMiB + random.Next(1, 1000)) + "\"}";
                return (Utf8(big), "over 1 MiB");
            case 6:
                return (Utf8(new string(' ', OneMiB) + "{}"), "1 MiB of whitespace before a valid object");
            case 7:
                var whole = RandomObject(fields);
                return (Utf8(whole[..random.Next(whole.Length)]), "truncated");
            case 8:
                var bytes = new byte[random.Next(1, 512)];
                random.NextBytes(bytes);
                return (bytes, "random bytes");
            case 9:
                var field = Pick(fields);
                return (Utf8($"{{\"{field}\":{Pick(HostileValues)},\"{field}\":{Pick(HostileValues)}}}"), "duplicate keys");
            default:
                return (Utf8(RandomObject(fields)), "random object");
        }
    }

    private string RandomObject(string[] fields)
    {
        var members = new List<string>();
        foreach (var field in fields.Where(_ => random.Next(3) != 0))
        {
            members.Add($"\"{field}\":{Pick(HostileValues)}");
        }

        for (var extra = random.Next(3); extra > 0; extra--)
        {
            members.Add($"\"{Pick(["__proto__", "constructor", "id", "averageRating", "reviewCount", "\\u0000", "", "NAME", "createdAt",
                "\\udc00", "\\ud800\\ud800\\ud800\\ud800"])}\":{Pick(HostileValues)}");
        }

        return "{" + string.Join(",", members.OrderBy(_ => random.Next())) + "}";
    }

    private byte[] InvalidUtf8(string[] fields)
    {
        byte[][] broken = [[0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xFF, 0xFE], [0xF8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xE2, 0x82]];
        var prefix = Utf8("{\"" + Pick(fields) + "\":\"");
        var suffix = Utf8("\",\"price\":1,\"rating\":0}");
        return [.. prefix, .. Pick(broken), .. suffix];
    }

    private string Query()
    {
        var parameters = new List<string>();
        for (var count = random.Next(4); count > 0; count--)
        {
            var name = Pick(["page", "limit", "page", "limit", "PAGE", "sort", "page[]", "%00", "limit%00"]);
            parameters.Add($"{name}={Pick(QueryValues)}");
        }

        return parameters.Count == 0 ? "" : "?" + string.Join("&", parameters);
    }

    private T Pick<T>(IReadOnlyList<T> values) => values[random.Next(values.Count)];

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
