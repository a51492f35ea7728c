using System.Globalization;
using Cloudtalk.Common.Reconciliation;

namespace Cloudtalk.Rating.Reconciliation;

/// <summary>
/// Reads the Api's products and review ratings, range by range (<c>GET /api/operations/rating-sources</c>).
/// A typed client from the service defaults: service discovery finds the Api, the standard resilience handler retries.
/// </summary>
public sealed class RatingSourceClient(HttpClient http)
{
    /// <summary>The Api as the AppHost names it (<c>WithReference(api)</c>); https is preferred when it has both.</summary>
    public const string ApiAddress = "https+http://api";

    public async Task<RatingSourceRange> GetRangeAsync(long afterProductId, long throughProductId, CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync<RatingSourceRange>(
            string.Create(CultureInfo.InvariantCulture,
                $"{RatingSourceRange.Path}?afterProductId={afterProductId}&throughProductId={throughProductId}"),
            cancellationToken)
        ?? throw new HttpRequestException("The Api answered the rating source request with an empty body.");
}
