using Cloudtalk.Api.Infrastructure;

namespace Cloudtalk.Api.Reviews;

/// <summary>The field rules of a review, as the contract states them.</summary>
public static class ReviewRules
{
    public const int NameMaxLength = 100;
    public const int TextMaxLength = 4000;
    public const int MinRating = 1;
    public const int MaxRating = 5;

    private const string ProductIdRule = "expected the id of an existing product (a positive whole number).";
    private const string RatingRule = "expected a whole number from 1 to 5.";

    /// <summary>
    /// Reads and validates a review body. On create every required field must be there; on update a field left
    /// out keeps its value, an optional one sent as null is cleared, a required one sent as null is an error.
    /// Whether the product exists, and on update whether <c>productId</c> is unchanged, is checked by the
    /// repository, inside the write's transaction.
    /// </summary>
    public static ReviewInput? Parse(JsonFields fields, ValidationErrors errors, bool creating)
    {
        var productId = fields.WholeNumber("productId", ProductIdRule);
        var firstName = fields.Text("firstName");
        var lastName = fields.Text("lastName");
        var reviewText = fields.Text("reviewText");
        var rating = fields.WholeNumber("rating", RatingRule);

        var input = new ReviewInput(
            default, default, default,
            default, default);

        if (errors.HasValueToCheck(productId.State, "productId", required: creating))
        {
            if (productId.Value <= 0)
            {
                errors.Add("productId", "The productId field must be a positive whole number.");
            }

            input = input with { ProductId = Optional.Of(productId.Value) };
        }

        if (errors.HasValueToCheck(firstName.State, "firstName", required: creating))
        {
            var trimmed = firstName.Value.Trim();
            if (trimmed.Characters() is < 1 or > NameMaxLength)
            {
                errors.Add("firstName", $"The firstName field must be 1 to {NameMaxLength} characters long (after trimming).");
            }

            input = input with { FirstName = Optional.Of(trimmed) };
        }

        if (lastName.State == FieldState.Null)
        {
            input = input with { LastName = Optional.Of<string?>(null) };
        }
        else if (lastName.IsPresent)
        {
            var trimmed = lastName.Value.Trim();
            if (trimmed.Characters() > NameMaxLength)
            {
                errors.Add("lastName", $"The lastName field must be at most {NameMaxLength} characters long (after trimming).");
            }

            input = input with { LastName = Optional.Of<string?>(trimmed) };
        }

        if (reviewText.State == FieldState.Null)
        {
            input = input with { ReviewText = Optional.Of<string?>(null) };
        }
        else if (reviewText.IsPresent)
        {
            if (reviewText.Value.Characters() > TextMaxLength)
            {
                errors.Add("reviewText", $"The reviewText field must be at most {TextMaxLength} characters long.");
            }

            input = input with { ReviewText = Optional.Of<string?>(reviewText.Value) };
        }

        if (errors.HasValueToCheck(rating.State, "rating", required: creating))
        {
            if (rating.Value is < MinRating or > MaxRating)
            {
                errors.Add("rating", "The rating field must be a whole number from 1 to 5.");
            }

            input = input with { Rating = Optional.Of((int)Math.Clamp(rating.Value, MinRating, MaxRating)) };
        }

        return errors.IsEmpty ? input : null;
    }
}

/// <summary>A validated review body; on update, fields left out are <c>default</c>.</summary>
public sealed record ReviewInput(
    Optional<long> ProductId,
    Optional<string> FirstName,
    Optional<string?> LastName,
    Optional<string?> ReviewText,
    Optional<int> Rating);
