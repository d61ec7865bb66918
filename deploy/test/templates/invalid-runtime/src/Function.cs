namespace HelloWorld;

public class Function
{
    public string FunctionHandler(string input) => input.ToUpper();
}
