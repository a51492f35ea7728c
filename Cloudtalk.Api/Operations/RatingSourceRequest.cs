using System.Globalization;
using Cloudtalk.Api.Infrastructure;
using Cloudtalk.Common.Reconciliation;

namespace Cloudtalk.Api.Operations;

/// <summary>The product id range of <c>GET /api/operations/rating-sources</c>, validated.</summary>
public readonly record struct RatingSourceRequest(long AfterProductId, long ThroughProductId)
{
    public const string AfterDescription = "Products with an id above this one (a whole number from 0).";

    public const string ThroughDescription =
        "Products with an id up to and including this one: a whole number above `afterProductId`, at most 1000 above it.";

    /// <summary>Both parameters are required; only plain digits count, as for paging.</summary>
    public static RatingSourceRequest? Parse(string? afterProductId, string? throughProductId, ValidationErrors errors)
    {
        var after = ParseId(afterProductId, "afterProductId", errors);
        var through = ParseId(throughProductId, "throughProductId", errors);
        if (after is { } from && through is { } to && (to <= from || to - from > RatingSourceRange.MaxWidth))
        {
            errors.Add("throughProductId",
                $"The throughProductId parameter must be above afterProductId and at most {RatingSourceRange.MaxWidth} above it.");
        }

        return errors.IsEmpty ? new RatingSourceRequest(after!.Value, through!.Value) : null;
    }

    private static long? ParseId(string? raw, string name, ValidationErrors errors)
    {
        if (long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        errors.Add(name, $"The {name} parameter is required: a whole number from 0 to {long.MaxValue}.");
        return null;
    }
}
