# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/aws" {
  version     = "5.52.0"
  constraints = "~> 5.52"
  hashes = [
    "h1:pU83H/fUipi3CAgLhMCY4TYo+wfBIXvYCm/XF1Yea6I=",
    "h1:6pTocg2HwA8wTfI8DkrXVGFd0hq/a5tEqfOG5NX6Ung=",
    "zh:b3d99c8f38d2388fa98492ffb6b541633ab8bbe2c4ddd3e64c7e1ee591fce2ed",
    "zh:47cac83b540985079b9eeb5495c5c1aa9e53fd237395bd110e83b45fabcdaa0d",
    "zh:0e5f3144fe5dc1dfea412610888416ad0e405ecc4ea7661e318f8fec6b642f78",
    "zh:56d18e0c61d6b37ae250e78d64c975b1fe1d283ef526a562f0f12ea51397b700",
    "zh:8686c75d6522425e3b2be7304cc51ff5d24cc273284b4e8c8b40d1dc9cfe82d0",
    "zh:acde85979318397c19b03a2dc01d08a102d3e254dba70358a318365c6427ee54",
  ]
}

provider "registry.terraform.io/cloudflare/cloudflare" {
  version     = "4.34.0"
  constraints = "~> 4.34"
  hashes = [
    "h1:vuuu7n9IHdJJ8wimmtMaae4OZH9wqQYw61H1JPNKu1E=",
    "h1:8Ev05FGnPlTnWC749X1XtFw+t0S5TknRFjXmzoIyHwQ=",
    "zh:a9e3d1ae8c6d2c421d680f5f07987881977f8e65f492e0ecb0e251e0584d75d4",
    "zh:8e8d1834c770b989b31e582995924fc3b1ab6d98d3f981f4b974dec91a6b5728",
    "zh:192f89faae57c712ae2dc309f3ec79f281ab4a30700405c08ee6c3787729387d",
    "zh:0a817145fa9d6df395bf41e3ff93b9fabec56e2d4b1dbd408dc2f6bebfe0dddc",
    "zh:6f77427f7165132899f65961856954786d5779dba417c34aa8e5cf821e59fd27",
    "zh:3f7b5d21f5c9ea9a31ff8586e8f971dca7b6c265c78a56567cf696ce5a454874",
  ]
}

provider "registry.terraform.io/datadog/datadog" {
  version     = "3.39.0"
  constraints = "~> 3.39"
  hashes = [
    "h1:o43xfrM396TQJpdmnB4zTYS6VGdct95dRXwaXKKVdDw=",
    "h1:o8JugFYoGca0yOo/eatF/LvI/IpVkcKQ1O9oOz2YI2k=",
    "zh:dcda5e5f67a21b4c44f1ad572df9a78efc421a8113251dc268de47de2aac5786",
    "zh:5b2c8faf7cf4f572da57708a6954c1357bedb08998dc6069268c1ca2b3544e07",
    "zh:3b5e30eb007240c2149adde92f439268102571912f38bac71848d1d62a9c6e9e",
    "zh:e1a3117d8b971f28b7488c3042dde704f7c1fcead8155d16bf7fa6e7cf8c58e3",
    "zh:02cb209e839c5e37617e1f315e13113d5c75cca05ff510ee6f431cdf948ab762",
    "zh:164247befb3a9b7a5535ac671a03d72f762e27dedbd7d8fb65939cf3a3025b69",
  ]
}

provider "registry.terraform.io/hashicorp/random" {
  version     = "3.6.2"
  constraints = "~> 3.6"
  hashes = [
    "h1:/X6E/X6ZcbrdcpiBHfB4QqXEu+lK9NS1TGcQlT2oPgo=",
    "h1:MH9OcErdh5+1dNxP1PVE+S6IJhlsICD7Y6wLB+41SR0=",
    "zh:4abb43e7115be0881972f57f546c885f8cc6d754a916868007adb94c1d0c8be6",
    "zh:44d0fb8aebbacbb8e9b4c039a40addfd1e2803aec2955cdbaa98e7413ed193be",
    "zh:490dd58fd61ce4656af215c35a9be6a45a08083059d41b699f94bb63cee81ba8",
    "zh:343b2531417f3a69face9bbd3783f4a1c27c78f298d6b47bd13d4ef29efd7d1a",
    "zh:5bb1f9a5e54a643e20bd391e3570d9497435e1c6509ca6965de5b2099a55fc2f",
    "zh:9bb6ad82247b4a99af723ccfca235722c00ba69b2f133677b47d3fb03ddd5798",
  ]
}
